// Before a container starts: its volumes mounted (those with options), filled from the image at the
// mount path while empty (dockerd's copy-up, ownership and modes included, unless `nocopy`), and
// dockerd's `volume mount` events.
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { BerthError } from '../../core/errors.ts';
import type { ContainerRecord, HostConfig, MountPoint } from '../../core/engine/containers/types.ts';
import type { VolumeService } from '../../core/engine/volumes/service.ts';
import { cleanPath } from '../../core/runtime-spec/mounts.ts';
import { resolveInRoot } from '../runtime/rootfs-files.ts';

const run = promisify(execFile);

function noCopy(hc: HostConfig, dest: string): boolean {
  for (const b of hc.Binds ?? []) {
    const parts = b.split(':');
    if (parts.length === 3 && cleanPath(parts[1]!) === dest && parts[2]!.split(',').includes('nocopy')) return true;
  }
  return (hc.Mounts ?? []).some((m) => m.Type === 'volume' && cleanPath(m.Target) === dest && !!m.VolumeOptions?.NoCopy);
}

async function isEmptyDir(dir: string): Promise<boolean> {
  return (await readdir(dir)).length === 0;
}

/** Copies the image's content at `dest` into an empty volume, with `cp -a` (owners, modes, xattrs, links). */
async function copyUp(rootfs: string, dest: string, volumeDir: string): Promise<void> {
  let src: string;
  try {
    src = await resolveInRoot(rootfs, dest, true);
    if (!(await stat(src)).isDirectory()) return;
  } catch { return; }
  if (!(await isEmptyDir(volumeDir))) return;
  try {
    await run('cp', ['-a', '--', `${src}/.`, `${volumeDir}/`]);
  } catch (e) {
    throw new BerthError('internal', `copying the image's content at ${dest} into the volume: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  }
}

export async function prepareVolumes(rec: ContainerRecord, rootfs: string, volumes: VolumeService): Promise<void> {
  const hc = rec.HostConfig as HostConfig;
  for (const m of (rec.Mounts ?? []).filter((x: MountPoint) => x.Type === 'volume' && x.Name)) {
    const dir = await volumes.prepareMount(m.Name!);
    if (!noCopy(hc, m.Destination)) await copyUp(rootfs, m.Destination, dir);
    volumes.opts.events.publish('volume', 'mount', m.Name!, {
      container: rec.Id, destination: m.Destination, driver: 'local', propagation: m.Propagation, 'read/write': String(m.RW),
    });
  }
}
