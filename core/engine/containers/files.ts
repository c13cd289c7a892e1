// The container's filesystem: archive (cp), changes (diff), export. The runtime reads it, from the
// live rootfs or a temporary mount when the container is stopped.
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import type { Change, PathStat } from './runtime.ts';

export function checkPath(path: string | null): string {
  if (!path) throw new BerthError('invalid_argument', 'path is required: ?path=/in/the/container');
  return path;
}

export async function statPath(svc: ContainerService, ref: string, path: string): Promise<PathStat> {
  return svc.runtime.statPath(svc.get(ref).rec, path);
}

export async function getArchive(svc: ContainerService, ref: string, path: string): Promise<{ stat: PathStat; tar: ReadableStream<Uint8Array> }> {
  const c = svc.get(ref);
  const archive = await svc.runtime.getArchive(c.rec, path);
  svc.event(c, 'archive-path');
  return archive;
}

export async function putArchive(svc: ContainerService, ref: string, path: string, tar: ReadableStream<Uint8Array>, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
  const c = svc.get(ref);
  if (c.rec.HostConfig.ReadonlyRootfs) throw new BerthError('forbidden', 'container rootfs is marked read-only');
  await svc.runtime.putArchive(c.rec, path, tar, opts);
  svc.event(c, 'extract-to-dir');
}

export async function containerChanges(svc: ContainerService, ref: string): Promise<Change[] | null> {
  const changes = await svc.runtime.changes(svc.get(ref).rec);
  return changes.length ? changes : null;
}

export async function exportContainer(svc: ContainerService, ref: string): Promise<ReadableStream<Uint8Array>> {
  const c = svc.get(ref);
  const tar = await svc.runtime.export(c.rec);
  svc.event(c, 'export');
  return tar;
}

/** `X-Docker-Container-Path-Stat`: base64 of the stat JSON. */
export function pathStatHeader(stat: PathStat): string {
  const json = JSON.stringify({ name: stat.name, size: stat.size, mode: stat.mode, mtime: stat.mtime, linkTarget: stat.linkTarget });
  const bytes = new TextEncoder().encode(json);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
