// The container's mounts as dockerd lays them out: its default set (proc, /dev, devpts, sysfs,
// cgroup, mqueue, /dev/shm), the user's binds (`Binds`, `Mounts` type bind), tmpfs (`Tmpfs`,
// `Mounts` type tmpfs), the generated /etc/resolv.conf, /etc/hostname and /etc/hosts, sorted by
// destination depth. Volumes (issue 5) come in through `resolveVolume`.
import { BerthError } from '../errors.ts';
import type { HostConfig, Mount as ApiMount, MountPoint } from '../engine/containers/types.ts';
import type { Mount } from './types.ts';
import { mergeTmpfsOptions, tmpfsMountData } from './tmpfs-options.ts';

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export function defaultMounts(shmSize: number): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
  ];
}

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

/** A user mount resolved from Binds or Mounts: what inspect lists and what the spec mounts. */
export interface UserMount extends MountPoint {
  /** tmpfs data (`size=1m,noexec`) for tmpfs mounts. */
  data?: string;
  nonRecursive?: boolean;
  /** `-v /host:/ctr` creates a missing host directory; `--mount type=bind` refuses it. */
  createHostPath?: boolean;
  /** Where it came from, for error messages and for Mounts[] order. */
  origin: 'Binds' | 'Mounts' | 'Tmpfs';
}

const mountError = (type: string, msg: string) => new BerthError('invalid_argument', `invalid mount config for type "${type}": ${msg}`);

function isAbs(p: string): boolean { return p.startsWith('/'); }

export function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') parts.pop(); else parts.push(s);
  }
  return `/${parts.join('/')}`;
}

/** A valid -v mode: at most one of rw/ro, one of z/Z, one propagation, one nocopy. */
function validMode(mode: string): boolean {
  if (mode === '') return true;
  let rw = 0; let label = 0; let prop = 0; let copy = 0;
  for (const o of mode.split(',')) {
    if (o === 'rw' || o === 'ro') rw++;
    else if (o === 'z' || o === 'Z') label++;
    else if (PROPAGATIONS.includes(o)) prop++;
    else if (o === 'nocopy') copy++;
    else return false;
  }
  return rw <= 1 && label <= 1 && prop <= 1 && copy <= 1;
}

/** One `Binds` entry (`src:dst[:mode]`) as dockerd's Linux parser reads it. */
export function parseBind(raw: string): UserMount {
  const arr = raw.split(':');
  const invalid = () => new BerthError('invalid_argument', `invalid volume specification: '${raw}'`);
  let source = ''; let target = ''; let mode = '';
  if (arr.some((p) => p === '')) throw invalid();
  if (arr.length === 1) target = arr[0]!;
  else if (arr.length === 2) {
    if (validMode(arr[1]!)) throw invalid();
    [source, target] = arr as [string, string];
  } else if (arr.length === 3) [source, target, mode] = arr as [string, string, string];
  else throw invalid();
  if (!validMode(mode)) throw new BerthError('invalid_argument', `invalid mode: ${mode}`);
  const opts = mode.split(',').filter(Boolean);
  const type = isAbs(source) ? 'bind' : 'volume';
  // dockerd wraps its mount config check with the raw spec for Binds.
  if (!isAbs(target)) throw new BerthError('invalid_argument', `invalid volume specification: '${raw}': ${mountError(type, `invalid mount path: '${target}' mount path must be absolute`).message}`);
  if (cleanPath(target) === '/') throw new BerthError('invalid_argument', "invalid specification: destination can't be '/'");
  const propagation = opts.find((o) => PROPAGATIONS.includes(o)) ?? (type === 'bind' ? 'rprivate' : '');
  return {
    Type: type, Source: source, Destination: cleanPath(target), Mode: mode, RW: !opts.includes('ro'),
    Propagation: propagation, ...(type === 'volume' ? { Name: source, Driver: 'local' } : { createHostPath: true }), origin: 'Binds',
  };
}

/** One `Mounts` entry (`--mount`), validated as dockerd's validateMountConfig does. */
export function parseApiMount(m: ApiMount): UserMount {
  const type = m.Type;
  if (!m.Target) throw mountError(type, 'field Target must not be empty');
  if (!isAbs(m.Target)) throw mountError(type, `invalid mount path: '${m.Target}' mount path must be absolute`);
  if (cleanPath(m.Target) === '/') throw new BerthError('invalid_argument', "invalid specification: destination can't be '/'");
  const target = cleanPath(m.Target);
  switch (type) {
    case 'bind': {
      if (!m.Source) throw mountError(type, 'field Source must not be empty');
      if (!isAbs(m.Source)) throw mountError(type, `invalid mount path: '${m.Source}' mount path must be absolute`);
      if (m.VolumeOptions) throw mountError(type, 'field VolumeOptions must not be specified');
      if (m.TmpfsOptions) throw mountError(type, 'field TmpfsOptions must not be specified');
      const p = m.BindOptions?.Propagation || 'rprivate';
      return {
        Type: 'bind', Source: m.Source, Destination: target, Mode: '', RW: !m.ReadOnly, Propagation: p,
        ...(m.BindOptions?.NonRecursive ? { nonRecursive: true } : {}), origin: 'Mounts',
      };
    }
    case 'tmpfs': {
      if (m.Source) throw mountError(type, 'field Source must not be specified');
      if (m.BindOptions) throw mountError(type, 'field BindOptions must not be specified');
      if (m.VolumeOptions) throw mountError(type, 'field VolumeOptions must not be specified');
      if ((m.TmpfsOptions?.SizeBytes ?? 0) < 0) throw mountError(type, 'invalid size: must not be negative');
      const data = tmpfsMountData(m.TmpfsOptions, !!m.ReadOnly);
      return { Type: 'tmpfs', Source: '', Destination: target, Mode: '', RW: !m.ReadOnly, Propagation: '', data, origin: 'Mounts' };
    }
    case 'volume': {
      if (m.BindOptions) throw mountError(type, 'field BindOptions must not be specified');
      if (m.TmpfsOptions) throw mountError(type, 'field TmpfsOptions must not be specified');
      return {
        Type: 'volume', Name: m.Source ?? '', Source: m.Source ?? '', Destination: target, Driver: m.VolumeOptions?.DriverConfig?.Name || 'local',
        Mode: 'z', RW: !m.ReadOnly, Propagation: '', origin: 'Mounts',
      };
    }
    default:
      throw mountError(type, 'mount type unknown');
  }
}

/** `Tmpfs` entries (`--tmpfs /run:size=1m`), destinations sorted so the result is stable. */
export function parseTmpfs(tmpfs: Record<string, string> | null | undefined): UserMount[] {
  return Object.keys(tmpfs ?? {}).sort().map((dest) => {
    if (!isAbs(dest)) throw new BerthError('invalid_argument', `invalid mount path: '${dest}' mount path must be absolute`);
    if (cleanPath(dest) === '/') throw new BerthError('invalid_argument', "invalid specification: destination can't be '/'");
    const data = tmpfs![dest]!;
    mergeTmpfsOptions(data.split(',').filter(Boolean));
    return { Type: 'tmpfs' as const, Source: '', Destination: cleanPath(dest), Mode: data, RW: true, Propagation: '', data, origin: 'Tmpfs' as const };
  });
}

/** Every user mount of a HostConfig, checked for duplicate destinations (Docker's `Duplicate mount point`). */
export function userMounts(hc: HostConfig): UserMount[] {
  const all = [
    ...(hc.Binds ?? []).map(parseBind),
    ...(hc.Mounts ?? []).map(parseApiMount),
    ...parseTmpfs(hc.Tmpfs),
  ];
  const seen = new Set<string>();
  for (const m of all) {
    if (seen.has(m.Destination)) throw new BerthError('invalid_argument', `Duplicate mount point: ${m.Destination}`);
    seen.add(m.Destination);
  }
  return all;
}

/** Path components of a destination: dockerd mounts parents before children by this count. */
function depth(dest: string): number {
  return cleanPath(dest).split('/').length;
}

/** Stable sort by depth (dockerd's sort is stable for the mount counts containers have). */
export function sortMounts(mounts: Mount[]): Mount[] {
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i).map((x) => x.m);
}

export function bindSpecMount(source: string, destination: string, readOnly: boolean, propagation = 'rprivate', nonRecursive = false): Mount {
  const options = [nonRecursive ? 'bind' : 'rbind'];
  if (readOnly) options.push('ro');
  if (propagation) options.push(propagation);
  return { destination, type: 'bind', source, options };
}

export function tmpfsSpecMount(destination: string, data: string): Mount {
  const options = mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...data.split(',').filter(Boolean)]);
  return { destination, type: 'tmpfs', source: 'tmpfs', options };
}
