// The volume model as dockerd's local driver keeps it: the record persisted in the metadata store,
// dockerd's name rules and the Volume JSON the API answers.
import { BerthError } from '../../errors.ts';

/** dockerd sets this label on the volumes it makes for `-v /path` and an image's VOLUME. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export interface VolumeRecord {
  Name: string;
  Driver: 'local';
  /** RFC 3339, seconds precision, as dockerd formats it. */
  CreatedAt: string;
  Labels: Record<string, string> | null;
  /** The local driver's options (`type`, `device`, `o`). */
  Options: Record<string, string> | null;
}

/** GET /volumes/{name}. */
export interface VolumeJSON extends VolumeRecord {
  Mountpoint: string;
  Scope: 'local';
  UsageData?: { Size: number; RefCount: number };
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** dockerd's local driver validateName, with its texts. */
export function validateVolumeName(name: string): void {
  if (name.length === 1) throw new BerthError('invalid_argument', `create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  if (!NAME_RE.test(name)) {
    throw new BerthError('invalid_argument', `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

const OPTION_KEYS = ['type', 'device', 'o', 'size'];

/** The local driver's options: dockerd refuses unknown keys and a `device` without a `type`. */
export function validateVolumeOptions(name: string, opts: Record<string, string> | null | undefined): void {
  if (!opts) return;
  for (const k of Object.keys(opts)) {
    if (!OPTION_KEYS.includes(k)) throw new BerthError('invalid_argument', `create ${name}: invalid option key: "${k}"`);
  }
  if (opts.size !== undefined) throw new BerthError('invalid_argument', `create ${name}: quota size requested but no quota support`);
  if ((opts.device || opts.o) && !opts.type) throw new BerthError('invalid_argument', `create ${name}: missing required option: "type"`);
  if (opts.type && !opts.device) throw new BerthError('invalid_argument', `create ${name}: missing required option: "device"`);
}

export function isAnonymous(rec: VolumeRecord): boolean {
  return !!rec.Labels && ANONYMOUS_LABEL in rec.Labels;
}

/** dockerd's CreatedAt: RFC 3339 without fractional seconds. */
export function volumeTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}
