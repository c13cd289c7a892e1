// The context directory as the tar the docker CLI sends (archive.TarWithOptions with ChownOpts 0:0):
// owners 0:0 with no names, mtimes in whole seconds, modes with setuid/setgid/sticky, symlinks as
// links, a second name of a multiply linked file as a hard link to the first, fifos and devices as
// such; sockets are left out (Go's tar cannot hold them). Streamed: a file is read only when the
// reader asks for its bytes, so a context bigger than memory goes through.
import { TarWriter, type TarHeaderInit } from '../../layer/tar-write.ts';
import type { PatternMatcher } from '../../build/context/pattern-matcher.ts';
import type { LocalTree } from './local-tree.ts';
import { walkContext, type ContextEntry } from './context-walk.ts';

function header(e: ContextEntry, linkname: string): TarHeaderInit | undefined {
  const { entry } = e;
  // The writer keeps whole seconds of mtime and marks a directory's name with `/`.
  const base: TarHeaderInit = { name: e.rel, mode: entry.mode, uid: 0, gid: 0, mtime: entry.mtime };
  switch (entry.kind) {
    case 'file': return { ...base, type: 'file', size: entry.size };
    case 'directory': return { ...base, type: 'directory' };
    case 'symlink': return { ...base, type: 'symlink', linkname };
    case 'fifo': return { ...base, type: 'fifo' };
    case 'character-device':
    case 'block-device': return { ...base, type: entry.kind, devmajor: entry.devmajor, devminor: entry.devminor };
    default: return undefined;
  }
}

/** Packs the context directory `dir` with the entries `matcher` leaves in. */
export function packContext(tree: LocalTree, dir: string, matcher: PatternMatcher): ReadableStream<Uint8Array> {
  const writer = new TarWriter();
  (async () => {
    const firstName = new Map<string, string>();
    for await (const e of walkContext(tree, dir, matcher)) {
      let linkname = '';
      if (e.entry.kind === 'symlink') {
        try {
          linkname = await tree.readlink(e.path);
        } catch {
          continue;
        }
      }
      let h = header(e, linkname);
      if (!h) continue;
      if (e.entry.kind !== 'directory' && e.entry.nlink > 1) {
        const first = firstName.get(e.entry.inode);
        if (first !== undefined) h = { ...h, type: 'hardlink', linkname: first, size: 0 };
        else firstName.set(e.entry.inode, e.rel);
      }
      if (h.type === 'file' && (h.size ?? 0) > 0) {
        let body: ReadableStream<Uint8Array>;
        try {
          body = await tree.open(e.path);
        } catch {
          continue;
        }
        await writer.add(h, body);
      } else {
        await writer.add(h);
      }
    }
    await writer.finish();
  })().catch((e) => writer.abort(e));
  return writer.readable;
}
