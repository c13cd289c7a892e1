// The host's device nodes, for the spec: every node under /dev for a `--privileged` container (as
// containerd's oci.HostDevices, which dockerd uses), the nodes at a `--device` path, and a path's
// major:minor for block I/O limits (dockerd reads all of them when the container starts).
import { lstatSync, readdirSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../core/errors.ts';
import type { Device } from '../../core/runtime-spec/types.ts';

/** Directories of /dev a container gets its own of, or that hold no real devices. */
const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** glibc's major()/minor() of a dev_t. */
export function devNumbers(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

function deviceOf(path: string, st: BigIntStats): Device | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  return { path, type, ...devNumbers(st.rdev), fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
}

/** Every character and block device under `dir` (symlinks, fifos, /dev/console and the skipped directories left out). */
export function hostDevices(dir = '/dev'): Device[] {
  const out: Device[] = [];
  let names: string[];
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names.sort()) {
    const path = join(dir, name);
    let st: BigIntStats;
    try { st = lstatSync(path, { bigint: true }); } catch { continue; } // gone meanwhile
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...hostDevices(path));
      continue;
    }
    if (name === 'console') continue;
    const device = deviceOf(path, st);
    if (device) out.push(device);
  }
  return out;
}

/** Why a stat failed, in the words of Go's errors as dockerd prints them. */
function statFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
}

/** The numbers of the device at `path` (following symlinks), with dockerd's error when it cannot be read. */
export function resolveDevice(path: string): { major: number; minor: number } {
  let st: BigIntStats;
  try {
    st = statSync(path, { bigint: true });
  } catch (e) {
    throw new BerthError('invalid_argument', `stat ${path}: ${statFailure(e)}`, { cause: e });
  }
  return devNumbers(st.rdev);
}

/**
 * A `--device` path's nodes, as moby's DevicesFromPath: the node (a symlink followed), or every node
 * under a directory; dockerd's error when there is none.
 */
export function devicesAt(pathOnHost: string): Device[] {
  let resolved = pathOnHost;
  try { if (lstatSync(pathOnHost).isSymbolicLink()) resolved = realpathSync(pathOnHost); } catch { /* reported below */ }
  let why: string;
  try {
    const st = lstatSync(resolved, { bigint: true });
    const device = deviceOf(pathOnHost, st);
    if (device) return [device];
    if (st.isDirectory()) {
      const found = hostDevices(resolved).map((d) => ({ ...d, path: pathOnHost + d.path.slice(resolved.length) }));
      if (found.length) return found;
    }
    why = 'not a device node';
  } catch (e) {
    why = statFailure(e);
  }
  throw new BerthError('invalid_argument', `error gathering device information while adding custom device "${pathOnHost}": ${why}`);
}
