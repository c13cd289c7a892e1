// Writes a COPY/ADD plan as a layer tar: entries straight from the context (no container), local
// archives unpacked below their destination with their own owners and modes, as dockerd unpacks them.
import { BerthError } from '../../errors.ts';
import { readTar } from '../../layer/tar-read.ts';
import { TarWriter } from '../../layer/tar-write.ts';
import { cleanPath, parentPath } from '../context/pattern-matcher.ts';
import { openArchive } from './archive.ts';
import { bytesStream } from '../context/build-context.ts';
import { clampToEpoch, type CopyPlan, type PlanEntry } from './plan.ts';

/** The layer as an uncompressed tar stream; a failure while writing errors the stream. */
export function writeCopyLayer(plan: CopyPlan): ReadableStream<Uint8Array> {
  const tar = new TarWriter();
  (async () => {
    const dirs = new Set<string>();
    for (const entry of plan.entries) {
      if (entry.type === 'archive') await unpack(plan, entry, tar, dirs);
      else await addEntry(plan, entry, tar, dirs);
    }
    await tar.finish();
  })().catch((e: unknown) => tar.abort(e));
  return tar.readable;
}

async function addEntry(plan: CopyPlan, entry: PlanEntry, tar: TarWriter, dirs: Set<string>): Promise<void> {
  if (entry.type === 'archive') return;
  const body = entry.content.kind === 'bytes' ? entry.content.data
    : entry.content.kind === 'context' ? await plan.context.read(entry.content.path) : undefined;
  if (entry.type === 'directory') dirs.add(entry.path);
  await tar.add({
    name: entry.path, type: entry.type, mode: entry.mode, uid: entry.uid, gid: entry.gid, size: entry.size,
    mtime: entry.mtime, linkname: entry.linkname, devmajor: entry.devmajor, devminor: entry.devminor,
  }, body);
}

async function unpack(plan: CopyPlan, entry: PlanEntry, tar: TarWriter, dirs: Set<string>): Promise<void> {
  const { content } = entry;
  if (content.kind === 'none') return;
  const source = content.kind === 'context' ? content.path : 'the downloaded archive';
  const file = content.kind === 'context' ? await plan.context.read(content.path) : bytesStream(content.data);
  const stream = await openArchive(file, source, plan.codecs);
  if (!stream) throw new BerthError('invalid_argument', `ADD failed: ${source} is no longer a tar archive`);
  const clamp = clampToEpoch(plan.sourceDateEpoch);
  const inside = (name: string): string => {
    const p = cleanPath(name.replace(/^\/+/, ''));
    if (p === '..' || p.startsWith('../')) {
      throw new BerthError('invalid_argument', `ADD failed: ${source}: archive entry ${JSON.stringify(name)} points outside the destination`);
    }
    return p === '.' ? entry.path : entry.path === '' ? p : `${entry.path}/${p}`;
  };
  for await (const e of readTar(stream)) {
    const path = inside(e.name);
    if (path === '' || (path === entry.path && e.type === 'directory')) continue;
    // Archives need not list their directories; the layer must, for the parents' modes to be defined.
    const missing: string[] = [];
    for (let dir = parentPath(path); dir !== '.' && !dirs.has(dir); dir = parentPath(dir)) missing.unshift(dir);
    for (const dir of missing) {
      await tar.add({ name: dir, type: 'directory', mode: 0o755, mtime: entry.mtime });
      dirs.add(dir);
    }
    if (e.type === 'directory') dirs.add(path);
    await tar.add({
      name: path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, uname: e.uname, gname: e.gname, size: e.size,
      mtime: clamp(e.mtime), linkname: e.type === 'hardlink' ? inside(e.linkname) : e.linkname,
      devmajor: e.devmajor, devminor: e.devminor, xattrs: e.xattrs,
    }, e.type === 'file' ? e.body : undefined);
  }
}
