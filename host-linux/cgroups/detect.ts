// Which cgroup layout the host has, read once at start from /proc/self/mountinfo and /proc/cgroups:
// - v1: a hierarchy per controller (or group of them) under /sys/fs/cgroup/<name>;
// - hybrid: v1 controllers plus a cgroup2 mount beside them (/sys/fs/cgroup/unified) that holds
//   no controllers: treated as v1 (the cgroup2 dir is still created so a process joins it too);
// - v2 (unified): one cgroup2 mount at /sys/fs/cgroup with the controllers in cgroup.controllers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unescapeMountPath } from '../mount/overlay.ts';

export interface CgroupLayout {
  mode: 'v1' | 'hybrid' | 'v2';
  version: 1 | 2;
  /** v1 hierarchies: mount point -> what is bound there (`['cpu','cpuacct']`, `['name=systemd']`). */
  hierarchies: Map<string, string[]>;
  /** v1 controller (or `name=...`) -> its hierarchy's mount point. */
  v1: Map<string, string>;
  /** The cgroup2 mount point, if any. */
  unified?: string;
  /** Controllers available at the cgroup2 root (its cgroup.controllers). */
  unifiedControllers: string[];
  /** Controllers the kernel has enabled (/proc/cgroups). */
  enabled: string[];
}

interface MountEntry { root: string; mountPoint: string; fsType: string; superOptions: string[] }

/** Parses /proc/self/mountinfo lines of cgroup and cgroup2 mounts. */
export function cgroupMounts(mountinfo: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of mountinfo.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const [fsType, , superOpts] = line.slice(dash + 3).split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    out.push({ root: unescapeMountPath(left[3] ?? '/'), mountPoint: unescapeMountPath(left[4] ?? ''), fsType, superOptions: (superOpts ?? '').split(',') });
  }
  return out;
}

/** Parses /proc/cgroups: the controllers the kernel has enabled. */
export function enabledControllers(procCgroups: string): string[] {
  return procCgroups.split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(/\s+/))
    .filter((f) => f[3] === '1')
    .map((f) => f[0]!);
}

const NOT_CONTROLLERS = new Set(['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'clone_children', 'noprefix', 'xattr', 'cpuset_v2_mode', 'favordynmods', 'nsdelegate', 'memory_recursiveprot', 'memory_localevents', 'memory_hugetlb_accounting']);

/**
 * The layout from the texts of mountinfo and /proc/cgroups; `readControllers(mountPoint)` reads
 * a cgroup2 mount's cgroup.controllers. Pure apart from that call, so tests can feed any host's.
 */
export function parseLayout(mountinfo: string, procCgroups: string, readControllers: (mountPoint: string) => string): CgroupLayout {
  const enabled = enabledControllers(procCgroups);
  const hierarchies = new Map<string, string[]>();
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const m of cgroupMounts(mountinfo)) {
    if (m.fsType === 'cgroup2') {
      // The first cgroup2 mount wins; a second (bind) mount of it changes nothing.
      unified ??= m.mountPoint;
      continue;
    }
    const names = m.superOptions.filter((o) => !NOT_CONTROLLERS.has(o) && !o.startsWith('release_agent='));
    if (names.length === 0) continue;
    // A hierarchy mounted twice (bind mounts into a container): keep the mount of its root.
    const key = names[0]!;
    if (v1.has(key) && m.root !== '/') continue;
    if (v1.has(key)) hierarchies.delete(v1.get(key)!);
    hierarchies.set(m.mountPoint, names);
    for (const n of names) v1.set(n, m.mountPoint);
  }
  let unifiedControllers: string[] = [];
  if (unified !== undefined) {
    try {
      unifiedControllers = readControllers(unified).trim().split(/\s+/).filter(Boolean);
    } catch {
      unifiedControllers = [];
    }
  }
  const v1Controllers = [...v1.keys()].filter((k) => !k.startsWith('name='));
  if (v1Controllers.length > 0) {
    return { mode: unified !== undefined ? 'hybrid' : 'v1', version: 1, hierarchies, v1, unified, unifiedControllers, enabled };
  }
  if (unified !== undefined) return { mode: 'v2', version: 2, hierarchies, v1, unified, unifiedControllers, enabled };
  throw new Error('no cgroup file system is mounted (neither cgroup v1 controllers nor cgroup2 in /proc/self/mountinfo): mount cgroup2 at /sys/fs/cgroup');
}

let cached: CgroupLayout | undefined;

/** This host's layout, read once. */
export function detectCgroups(): CgroupLayout {
  cached ??= parseLayout(
    readFileSync('/proc/self/mountinfo', 'utf8'),
    readFileSync('/proc/cgroups', 'utf8'),
    (mountPoint) => readFileSync(join(mountPoint, 'cgroup.controllers'), 'utf8'),
  );
  return cached;
}
