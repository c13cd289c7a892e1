// Engine API versions: what berthd advertises and the range of `/v1.NN/` prefixes it accepts.
import { BerthError } from '../errors.ts';

/** The highest API version berthd speaks (sent as `Api-Version`). */
export const API_VERSION = '1.47';
/** The lowest `/v1.NN/` prefix accepted; the same floor dockerd 25+ keeps. */
export const MIN_API_VERSION = '1.24';

/** Compares dotted versions numerically: -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number(x) || 0);
  const pb = b.split('.').map((x) => Number(x) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Splits `/v1.41/images/json` into the version and the rest; unversioned paths get API_VERSION. */
export function splitVersion(path: string): { version: string; path: string; explicit: boolean } {
  const m = /^\/v([0-9][0-9.]*)(\/.*)?$/.exec(path);
  if (!m) return { version: API_VERSION, path, explicit: false };
  return { version: m[1]!, path: m[2] ?? '/', explicit: true };
}

/** dockerd's words for a version outside the supported range. */
export function checkVersion(version: string): void {
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new BerthError('invalid_argument', `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  if (compareVersions(version, API_VERSION) > 0) {
    throw new BerthError('invalid_argument', `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
}
