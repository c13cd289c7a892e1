// `--ulimit` as Docker takes it (`nofile=1024:2048`, names from go-units) and as the spec carries it
// (RLIMIT_NOFILE). A daemon without CAP_SYS_RESOURCE cannot raise a hard limit above its own, so
// limits above the host's current hard limit are lowered to it, with a warning.
import { BerthError } from '../errors.ts';
import type { Ulimit } from '../engine/containers/types.ts';
import type { Rlimit } from './types.ts';

export const ULIMIT_NAMES = [
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime',
  'sigpending', 'stack',
];

/** RLIM_INFINITY (2^64-1) cannot be a JS number; limits at or above 2^53 mean unlimited. */
export const RLIM_INFINITY = 2 ** 64;

/** `name=soft[:hard]` (the CLI's --ulimit); Docker's texts for bad input. */
export function parseUlimit(text: string): Ulimit {
  const eq = text.indexOf('=');
  if (eq < 0) throw new BerthError('invalid_argument', `invalid ulimit argument: ${text}`);
  const name = text.slice(0, eq);
  if (!ULIMIT_NAMES.includes(name)) throw new BerthError('invalid_argument', `invalid ulimit type: ${name}`);
  const parts = text.slice(eq + 1).split(':');
  if (parts.length > 2) throw new BerthError('invalid_argument', `too many limit value arguments - ${text.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (s: string) => {
    if (!/^-?\d+$/.test(s)) throw new BerthError('invalid_argument', `invalid ulimit argument: ${text}`);
    return Number(s);
  };
  const soft = num(parts[0]!);
  const hard = parts.length === 2 ? num(parts[1]!) : soft;
  if (soft > hard && hard !== -1) throw new BerthError('invalid_argument', `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

/** Checks HostConfig.Ulimits as the API receives them. */
export function validateUlimits(ulimits: readonly Ulimit[] | null | undefined): void {
  for (const u of ulimits ?? []) {
    if (!ULIMIT_NAMES.includes(u.Name)) throw new BerthError('invalid_argument', `invalid ulimit type: ${u.Name}`);
    if (!Number.isInteger(u.Soft) || !Number.isInteger(u.Hard)) throw new BerthError('invalid_argument', `invalid ulimit argument: ${u.Name}=${u.Soft}:${u.Hard}`);
    if (u.Soft > u.Hard && u.Hard !== -1) throw new BerthError('invalid_argument', `ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
}

/** The host's current limits, by spec type (`RLIMIT_NOFILE`); values >= 2^53 mean unlimited. */
export type HostRlimits = Record<string, { soft: number; hard: number }>;

/**
 * The spec's rlimits: the daemon's default ulimits overridden by the container's (by name), each
 * capped at the host's hard limit. -1 means unlimited.
 */
export function specRlimits(ulimits: readonly Ulimit[] | null | undefined, opts: { defaults?: readonly Ulimit[]; host?: HostRlimits } = {}): { rlimits: Rlimit[]; warnings: string[] } {
  const byName = new Map<string, Ulimit>();
  for (const u of opts.defaults ?? []) byName.set(u.Name, u);
  for (const u of ulimits ?? []) byName.set(u.Name, u);
  const warnings: string[] = [];
  const rlimits = [...byName.values()].map((u) => {
    const type = `RLIMIT_${u.Name.toUpperCase()}`;
    let hard = u.Hard < 0 ? RLIM_INFINITY : u.Hard;
    let soft = u.Soft < 0 ? RLIM_INFINITY : u.Soft;
    const max = opts.host?.[type]?.hard;
    if (max !== undefined && max < 2 ** 53 && hard > max) {
      warnings.push(`Your kernel does not allow raising ${u.Name} above its hard limit ${max}: limit lowered to ${max}.`);
      hard = max;
      soft = Math.min(soft, max);
    }
    return { type, hard, soft };
  });
  return { rlimits, warnings };
}
