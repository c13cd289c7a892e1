// The device nodes a container's /dev holds. The OCI runtime spec requires a runtime to supply
// these six (runc adds them itself, so dockerd's spec omits them); berth lists them in
// linux.devices so the shim creates exactly what the spec says. The runtime also makes, as runc
// does and the spec does not list: /dev/fd -> /proc/self/fd, /dev/stdin|stdout|stderr ->
// /proc/self/fd/0|1|2, /dev/core -> /proc/kcore, /dev/ptmx -> pts/ptmx, and /dev/console (bound
// to the pty) when process.terminal is set.
import type { Device } from './types.ts';

const chr = (path: string, major: number, minor: number): Device => ({ path, type: 'c', major, minor, fileMode: 0o666, uid: 0, gid: 0 });

export const DEFAULT_DEVICES: readonly Device[] = [
  chr('/dev/null', 1, 3), chr('/dev/zero', 1, 5), chr('/dev/full', 1, 7),
  chr('/dev/random', 1, 8), chr('/dev/urandom', 1, 9), chr('/dev/tty', 5, 0),
];

export const DEV_SYMLINKS: readonly [link: string, target: string][] = [
  ['/dev/fd', '/proc/self/fd'], ['/dev/stdin', '/proc/self/fd/0'], ['/dev/stdout', '/proc/self/fd/1'],
  ['/dev/stderr', '/proc/self/fd/2'], ['/dev/core', '/proc/kcore'], ['/dev/ptmx', 'pts/ptmx'],
];
