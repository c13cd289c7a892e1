// RUN's --mount, --network and --security values, as BuildKit parses them
// (instructions/commands_runmount.go, commands_runnetwork.go, commands_runsecurity.go).
import { BerthError } from '../../errors.ts';
import { ramInBytes } from '../../cli/units.ts';
import { checkMountFrom } from './expansion.ts';
import { withSuggestion } from './suggest.ts';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';
export type NetworkMode = 'default' | 'none' | 'host';
export type SecurityMode = 'sandbox' | 'insecure';

const MOUNT_TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: readonly CacheSharing[] = ['shared', 'private', 'locked'];
const MOUNT_KEYS = [
  'type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid',
  'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env',
];

export interface RunMount {
  type: MountType;
  /** A stage or image to mount from (bind, cache). */
  from: string;
  source: string;
  target: string;
  /** bind and secret/ssh default to read-only; cache and tmpfs to read-write. */
  readOnly: boolean;
  /** tmpfs `size=`, bytes; 0 when not set. */
  sizeLimit: number;
  /** cache `id=` (the builder uses the target when empty), secret/ssh `id=`. */
  cacheId: string;
  /** cache only; '' when not set (the builder then shares: `shared`). */
  cacheSharing: CacheSharing | '';
  /** secret/ssh: fail when the build was not given it. */
  required: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  /** secret: also expose it in this environment variable. */
  env?: string;
}

/**
 * What BuildKit checks of a `--mount=` value when it parses the Dockerfile: the CSV, and that `from=`
 * names no variable. The rest waits for the build (parseRunMount with the stage's expander), so a
 * stage that is not built never fails on its mounts.
 */
export function checkRunMount(spec: string): void {
  for (const field of csvFields(spec)) {
    const eq = field.indexOf('=');
    if (eq >= 0 && field.slice(0, eq).toLowerCase() === 'from') checkMountFrom(field.slice(eq + 1));
  }
}

/**
 * One `--mount=` value as the builder uses it: `expand` (the stage's ARG/ENV word expander) is applied
 * to each `key=value`'s value first, then the keys are checked with BuildKit's texts.
 */
export function parseRunMount(spec: string, expand: (word: string) => string): RunMount {
  const m: RunMount = {
    type: 'bind', from: '', source: '', target: '', readOnly: false, sizeLimit: 0, cacheId: '', cacheSharing: '',
    required: false,
  };
  let roAuto = true;
  for (const field of csvFields(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'ro' || key === 'readonly') { m.readOnly = true; roAuto = false; continue; }
      if (key === 'rw' || key === 'readwrite') { m.readOnly = false; roAuto = false; continue; }
      if (key === 'required' && (m.type === 'secret' || m.type === 'ssh')) { m.required = true; continue; }
      if (key === 'required') throw invalid(`unexpected key '${key}' for mount type '${m.type}'`);
      throw invalid(`invalid field '${field}' must be a key=value pair`);
    }
    const value = expand(field.slice(eq + 1));
    switch (key) {
      case 'type': {
        const t = value.toLowerCase();
        if (!(MOUNT_TYPES as readonly string[]).includes(t)) {
          throw invalid(withSuggestion(`unsupported mount type ${JSON.stringify(value)}`, value, MOUNT_TYPES, true));
        }
        m.type = t as MountType;
        break;
      }
      case 'from': m.from = value; break;
      case 'source': case 'src': m.source = value; break;
      case 'target': case 'dst': case 'destination': m.target = value; break;
      case 'readonly': case 'ro': m.readOnly = goBool(key, value); roAuto = false; break;
      case 'rw': case 'readwrite': m.readOnly = !goBool(key, value); roAuto = false; break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') throw invalid(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = goBool(key, value);
        break;
      case 'size':
        if (m.type !== 'tmpfs') throw invalid(`unexpected key '${key}' for mount type '${m.type}'`);
        try {
          m.sizeLimit = ramInBytes(value);
        } catch {
          throw invalid(`invalid value for ${key}: ${value}`);
        }
        break;
      case 'id': m.cacheId = value; break;
      case 'sharing':
        if (!(SHARING as readonly string[]).includes(value.toLowerCase())) {
          throw invalid(`unsupported sharing value ${JSON.stringify(value)}`);
        }
        m.cacheSharing = value.toLowerCase() as CacheSharing;
        break;
      case 'mode': m.mode = unsigned(value, 8, 'mode'); break;
      case 'uid': m.uid = unsigned(value, 10, 'uid'); break;
      case 'gid': m.gid = unsigned(value, 10, 'gid'); break;
      case 'env': m.env = value; break;
      default:
        throw invalid(withSuggestion(`unexpected key '${key}' in '${field}'`, key, MOUNT_KEYS, true));
    }
  }
  const fileInfoAllowed = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfoAllowed) {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (m[k] !== undefined) throw invalid(`${k} not allowed for "${m.type}" type mounts`);
    }
  }
  if (roAuto) m.readOnly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.cacheSharing !== '' && m.type !== 'cache') throw invalid(`invalid cache sharing set for ${m.type} mount`);
  if (m.type === 'secret') {
    if (m.from !== '') throw invalid('secret mount should not have a from');
    if (m.cacheSharing !== '') throw invalid('secret mount should not define sharing');
    if (m.source === '' && m.target === '' && m.cacheId === '') {
      throw invalid('invalid secret mount. one of source, target required');
    }
    if (m.source !== '' && m.cacheId !== '') throw invalid("both source and id can't be set");
  }
  return m;
}

export function parseNetworkMode(value: string): NetworkMode {
  if (value === 'default' || value === 'none' || value === 'host') return value;
  throw invalid(`invalid network mode ${JSON.stringify(value)}`);
}

export function parseSecurityMode(value: string): SecurityMode {
  if (value === 'sandbox' || value === 'insecure') return value;
  throw invalid(`security ${JSON.stringify(value)} is not valid`);
}

/** One CSV record (Go's encoding/csv): fields split on commas, `"..."` quoting with `""` for a quote. */
function csvFields(spec: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (spec[i] === '"') {
      i++;
      for (;;) {
        if (i >= spec.length) throw invalid(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
        if (spec[i] === '"') {
          if (spec[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += spec[i++];
      }
      if (i < spec.length && spec[i] !== ',') throw invalid(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
    } else {
      const end = spec.indexOf(',', i);
      field = spec.slice(i, end < 0 ? spec.length : end);
      if (field.includes('"')) throw invalid(`failed to parse csv mounts: bare " in non-quoted-field`);
      i = end < 0 ? spec.length : end;
    }
    fields.push(field);
    if (i >= spec.length) return fields;
    i++; // the comma
  }
}

function goBool(key: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw invalid(`invalid value for ${key}: ${value}`);
}

function unsigned(value: string, radix: 8 | 10, key: string): number {
  const digits = radix === 8 ? /^[0-7]+$/ : /^\d+$/;
  const n = digits.test(value) ? parseInt(value, radix) : NaN;
  if (!Number.isFinite(n) || n > 0xffffffff) throw invalid(`invalid value ${value} for ${key}`);
  return n;
}

function invalid(message: string): BerthError {
  return new BerthError('invalid_argument', message);
}
