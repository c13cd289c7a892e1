// The device nodes a container's /dev holds. The OCI runtime spec requires a runtime to supply
// these six (runc adds them itself, so dockerd's spec omits them); berth lists them in
// linux.devices so the shim creates exactly what the spec says. The runtime also makes, as runc
// does and the spec does not list: /dev/fd -> /proc/self/fd, /dev/stdin|stdout|stderr ->
// /proc/self/fd/0|1|2, /dev/core -> /proc/kcore, /dev/ptmx -> pts/ptmx, and /dev/console (bound
// to the pty) when process.terminal is set.
import { BerthError } from '../errors.ts';
import type { Device, DeviceCgroup } from './types.ts';
import type { DeviceMapping } from '../engine/containers/types.ts';

const chr = (path: string, major: number, minor: number): Device => ({ path, type: 'c', major, minor, fileMode: 0o666, uid: 0, gid: 0 });

export const DEFAULT_DEVICES: readonly Device[] = [
  chr('/dev/null', 1, 3), chr('/dev/zero', 1, 5), chr('/dev/full', 1, 7),
  chr('/dev/random', 1, 8), chr('/dev/urandom', 1, 9), chr('/dev/tty', 5, 0),
];

export const DEV_SYMLINKS: readonly [link: string, target: string][] = [
  ['/dev/fd', '/proc/self/fd'], ['/dev/stdin', '/proc/self/fd/0'], ['/dev/stdout', '/proc/self/fd/1'],
  ['/dev/stderr', '/proc/self/fd/2'], ['/dev/core', '/proc/kcore'], ['/dev/ptmx', 'pts/ptmx'],
];

/**
 * The host's device nodes at a path: the node itself (a symlink followed), or every node under a
 * directory, with `path` their host paths. Throws dockerd's error when there are none.
 */
export type HostDeviceLookup = (pathOnHost: string) => Device[];

/**
 * `--device` mappings as dockerd's WithDevices adds them: the nodes to create (at PathInContainer;
 * a directory's nodes below it) and, unless privileged (which allows everything), a rule allowing
 * each with the mapping's permissions. A privileged container already has the host's /dev, so
 * only mappings to another path are added, with all permissions.
 */
export function mappedDevices(mappings: readonly DeviceMapping[], lookup: HostDeviceLookup | undefined, privileged: boolean): { devices: Device[]; rules: DeviceCgroup[] } {
  const devices: Device[] = [];
  const rules: DeviceCgroup[] = [];
  for (const m of mappings) {
    if (privileged && m.PathOnHost === m.PathInContainer) continue;
    if (!lookup) throw new BerthError('unsupported', `devices are not supported on this host: ${m.PathOnHost}`);
    const access = privileged ? 'rwm' : m.CgroupPermissions || 'rwm';
    for (const d of lookup(m.PathOnHost)) {
      const inContainer = d.path === m.PathOnHost ? m.PathInContainer : m.PathInContainer + d.path.slice(m.PathOnHost.length);
      devices.push({ ...d, path: inContainer });
      if (!privileged && (d.type === 'b' || d.type === 'c')) rules.push({ allow: true, type: d.type, major: d.major, minor: d.minor, access });
    }
  }
  return { devices, rules };
}

/** A `--device-cgroup-rule`: docker's CLI checks the same format as dockerd. */
export const DEVICE_CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `--device-cgroup-rule 'c 1:3 rwm'` as dockerd reads it (AppendDevicePermissionsFromCgroupRules). */
export function deviceCgroupRules(rules: readonly string[]): DeviceCgroup[] {
  return rules.map((rule) => {
    const m = DEVICE_CGROUP_RULE.exec(rule);
    if (!m) throw new BerthError('invalid_argument', `invalid device cgroup rule format: '${rule}'`);
    const num = (s: string) => (s === '*' ? -1 : Number(s));
    return { allow: true, type: m[1] as 'a' | 'b' | 'c', major: num(m[2]!), minor: num(m[3]!), access: m[4]! };
  });
}
