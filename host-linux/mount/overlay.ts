// A container's root file system: overlayfs over the image's unpacked layers (shared, read-only)
// and a per-container upper dir.
//
// mount(2) takes at most one page (4096 bytes) of option data, and absolute layer paths run out
// of it after a few dozen layers. dockerd chdirs into its layer dir and passes short relative
// names; a chdir is process-wide in Node (the libuv thread pool resolves relative paths too), so
// instead, when the absolute paths do not fit, each layer is opened as a directory fd for the
// duration of the call and named by its magic link /proc/self/fd/N (the kernel resolves lowerdir
// paths at mount time, so the fds can be closed right after). That fits Docker's 128 layers.
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BerthError } from '../../core/errors.ts';
import { MNT_DETACH, native } from '../native/index.ts';

/** The mount data limit (one page on every architecture berth runs on). */
export const MOUNT_DATA_MAX = 4095;

export interface OverlayOptions {
  /** Mount flags (MS_*), e.g. MS_RDONLY for a read-only view. */
  flags?: number;
  /**
   * Extra overlay options. The default, `index=off`, is what dockerd passes: with the inode index
   * on, a lower dir once used with one upper is refused with another.
   */
  extra?: string[];
}

/**
 * Mounts overlayfs at `target`: `lowerDirs` top layer first (as overlayfs and Docker's
 * GraphDriver list them), `upper` and `work` on the same file system. Without `upper` and `work`
 * the mount is read-only (overlayfs needs at least two lower dirs then).
 */
export function mountOverlay(lowerDirs: string[], upper: string | undefined, work: string | undefined, target: string, opts: OverlayOptions = {}): void {
  if (lowerDirs.length === 0) throw new BerthError('invalid_argument', `cannot mount an overlay at ${target} without a lower layer`);
  if ((upper === undefined) !== (work === undefined)) throw new BerthError('invalid_argument', `an overlay at ${target} needs both an upper and a work dir, or neither`);
  const lowers = lowerDirs.map((d) => checked(resolve(d), target));
  const rest = [
    ...(upper !== undefined ? [`upperdir=${checked(resolve(upper), target)}`, `workdir=${checked(resolve(work!), target)}`] : []),
    ...(opts.extra ?? ['index=off']),
  ];
  const data = (names: string[]) => [`lowerdir=${names.join(':')}`, ...rest].join(',');
  const flags = opts.flags ?? 0;

  if (data(lowers).length <= MOUNT_DATA_MAX) {
    mountOrExplain(target, flags, data(lowers), lowers.length);
    return;
  }
  const fds: number[] = [];
  try {
    for (const dir of lowers) fds.push(openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY));
    const short = data(fds.map((fd) => `/proc/self/fd/${fd}`));
    if (short.length > MOUNT_DATA_MAX) {
      throw new BerthError('unsupported', `cannot mount an overlay of ${lowers.length} layers at ${target}: the mount options exceed one page even with short names (Docker's limit is 128 layers)`);
    }
    mountOrExplain(target, flags, short, lowers.length);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/**
 * Unmounts `target`; a mount still busy (a process in the container holding a file open, a
 * bind mount racing) is detached lazily, as dockerd does. Not mounted or gone: nothing to do.
 */
export function unmount(target: string): void {
  try {
    native().umount2(target, 0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EINVAL' || code === 'ENOENT') return;
    if (code !== 'EBUSY') throw e;
    native().umount2(target, MNT_DETACH);
  }
}

/** Whether some file system is mounted exactly at `target` (per this process's mount namespace). */
export function isMountPoint(target: string): boolean {
  const want = resolve(target);
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint !== undefined && unescapeMountPath(mountPoint) === want) return true;
  }
  return false;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

function mountOrExplain(target: string, flags: number, data: string, layers: number): void {
  try {
    native().mount('overlay', target, 'overlay', flags, data);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new BerthError('internal', `cannot mount the overlay root file system (${layers} layer${layers === 1 ? '' : 's'}) at ${target}: ${err.message}`, { cause: e });
  }
}

/** overlayfs splits its options on `,` and lower dirs on `:`; such paths cannot be passed safely. */
function checked(path: string, target: string): string {
  if (/[,:\\\n]/.test(path)) {
    throw new BerthError('invalid_argument', `cannot mount an overlay at ${target}: the path ${JSON.stringify(path)} contains a character overlayfs cannot take (',', ':', '\\' or a newline)`);
  }
  return path;
}
