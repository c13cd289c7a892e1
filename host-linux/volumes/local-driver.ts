// The local volume driver's directories on Linux, laid out as dockerd's: `<data-root>/volumes/<name>/_data`.
// A volume with options (`--opt type=tmpfs`, `--opt o=bind`) is mounted on `_data` at first use, as
// dockerd's local driver does, and unmounted when the volume is removed.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../core/errors.ts';
import type { VolumeHost } from '../../core/engine/volumes/host.ts';
import { isMountPoint, unmount } from '../mount/overlay.ts';
import {
  native, MS_BIND, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_RELATIME, MS_STRICTATIME, MS_SYNCHRONOUS,
} from '../native/index.ts';
import { treeSize } from '../runtime/rootfs-files.ts';

const FLAGS: Record<string, number> = {
  ro: MS_RDONLY, bind: MS_BIND, rbind: MS_BIND | MS_REC, nosuid: MS_NOSUID, nodev: MS_NODEV, noexec: MS_NOEXEC,
  sync: MS_SYNCHRONOUS, noatime: MS_NOATIME, nodiratime: MS_NODIRATIME, relatime: MS_RELATIME, strictatime: MS_STRICTATIME,
};
// Flags that clear one of the above, as a later option does in mount(8).
const CLEARING: Record<string, number> = {
  rw: MS_RDONLY, suid: MS_NOSUID, dev: MS_NODEV, exec: MS_NOEXEC, async: MS_SYNCHRONOUS, atime: MS_NOATIME, diratime: MS_NODIRATIME,
};

/** `o=` as mount(8) reads it: known flags become MS_* bits, the rest the file system's data. */
export function parseMountOptions(o: string): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const opt of o.split(',').filter(Boolean)) {
    if (opt in FLAGS) flags |= FLAGS[opt]!;
    else if (opt in CLEARING) flags &= ~CLEARING[opt]!;
    else data.push(opt);
  }
  return { flags, data: data.join(',') };
}

export function localVolumeHost(dataRoot: string): VolumeHost {
  const root = join(dataRoot, 'volumes');
  const data = (name: string) => join(root, name, '_data');
  const unmountData = (name: string) => { if (isMountPoint(data(name))) unmount(data(name)); };
  return {
    mountpoint: data,
    async createDir(name) {
      await mkdir(root, { recursive: true, mode: 0o701 });
      await mkdir(join(root, name), { recursive: true, mode: 0o701 });
      // dockerd's _data is 0755 root:root, so a copied-up or fresh volume is writable by root only until chowned.
      await mkdir(data(name), { recursive: true, mode: 0o755 });
    },
    async removeDir(name) {
      unmountData(name);
      await rm(join(root, name), { recursive: true, force: true });
    },
    diskUsage: (name) => treeSize(data(name)),
    async mount(name, opts) {
      const target = data(name);
      if (isMountPoint(target)) return;
      const { flags, data: fsData } = parseMountOptions(opts.o ?? '');
      const type = opts.type ?? '';
      const isBind = (flags & MS_BIND) !== 0;
      if (type !== 'tmpfs' && !isBind) {
        throw new BerthError('unsupported', `error while mounting volume '${target}': type "${type}" is not supported by berth's local driver (use type=tmpfs, or o=bind with a host directory as device)`);
      }
      try {
        native().mount(isBind ? opts.device! : (opts.device || 'tmpfs'), target, isBind ? null : type, flags, fsData || null);
      } catch (e) {
        throw new BerthError('invalid_argument', `error while mounting volume '${target}': failed to mount local volume: mount ${opts.device}:${target}, flags: 0x${flags.toString(16)}, data: ${fsData}: ${(e as Error).message}`, { cause: e });
      }
    },
    async unmount(name) { unmountData(name); },
  };
}
