// An image's file system as the builder reads it (COPY --from, COPY's destination, --chown names) on a
// host with no unpacked layer directories to stack (the browser): the layer blobs from the content store
// applied in order into memory, OCI whiteouts and hard links resolved. Everything is held in memory,
// which suits the small images a browser builds on (busybox is a few MB); an image of hundreds of MB
// would need a lazy index over the blobs instead.
import { BerthError } from '../../errors.ts';
import type { Codecs } from '../../host.ts';
import type { BlobReader } from '../../content/blob-store.ts';
import type { Descriptor } from '../../image/types.ts';
import { decompressStream } from '../../layer/compression.ts';
import { readTar, type TarEntry } from '../../layer/tar-read.ts';
import { classifyWhiteout } from '../../layer/whiteout.ts';
import { cleanPath } from './pattern-matcher.ts';
import { joinContextPath, MemoryTree, type ContextStat, type TreeMiss, type TreeNode } from './build-context.ts';

/** Read-only: a view never changes once built, so views of the same layers can be shared. */
export class LayeredContext extends MemoryTree {
  private constructor(files?: Map<string, TreeNode>, children?: Map<string, Set<string>>) {
    super(files, children);
  }

  /** An empty file system (an image with no layers: scratch). */
  static empty(): LayeredContext {
    return new LayeredContext();
  }

  /** The layers' blobs (bottom first) read from the store; the compression is told by the bytes, as the media type may lie. */
  static async fromBlobs(blobs: BlobReader, codecs: Codecs, layers: readonly Descriptor[], base = LayeredContext.empty()): Promise<LayeredContext> {
    let ctx = base;
    for (const layer of layers) ctx = await ctx.withLayer(await decompressStream(await blobs.read(layer.digest), codecs));
    return ctx;
  }

  /**
   * This file system with one more (uncompressed) layer tar on top, as a new view; this one is left as
   * it was. Whiteouts act on the layers below only, whatever their place in the tar.
   */
  async withLayer(tar: ReadableStream<Uint8Array>): Promise<LayeredContext> {
    const added = new Map<string, TreeNode>();
    const deleted: string[] = [];
    const opaque: string[] = [];
    for await (const entry of readTar(tar)) {
      const path = layerPath(entry.name);
      const w = classifyWhiteout(path);
      if (w.kind === 'whiteout') deleted.push(w.target);
      else if (w.kind === 'opaque') opaque.push(w.dir || '.');
      else if (w.kind === 'none') added.set(path, await this.#node(entry, path, added));
    }
    const next = this.#clone();
    for (const path of deleted) next.removeTree(path);
    for (const dir of opaque) {
      for (const name of [...(next.children.get(dir) ?? [])]) next.removeTree(joinContextPath(dir, name));
    }
    for (const [path, node] of added) next.put(path, node);
    return next;
  }

  async #node(entry: TarEntry, path: string, added: Map<string, TreeNode>): Promise<TreeNode> {
    if (entry.type === 'hardlink') {
      // A hard link is a second name of a file of this layer or one below: here, a copy of it.
      const target = layerPath(entry.linkname);
      const node = added.get(target) ?? this.files.get(target);
      if (!node) throw new BerthError('invalid_layer', `layer entry ${entry.name}: hard link to ${entry.linkname}, which is not in the layer or below it`);
      return node;
    }
    const stat: ContextStat = {
      type: entry.type, mode: entry.mode, uid: entry.uid, gid: entry.gid, size: 0, mtime: entry.mtime,
      linkname: entry.type === 'symlink' ? entry.linkname : '', devmajor: entry.devmajor, devminor: entry.devminor,
    };
    if (entry.type !== 'file') return { stat };
    const data = new Uint8Array(await new Response(entry.body).arrayBuffer());
    return { stat: { ...stat, size: data.byteLength }, data };
  }

  /** The maps copied (their nodes and data shared: nothing changes a node once placed). */
  #clone(): LayeredContext {
    const children = new Map<string, Set<string>>();
    for (const [dir, names] of this.children) children.set(dir, new Set(names));
    return new LayeredContext(new Map(this.files), children);
  }

  /** Go's wording, as an image's file system answers (`open x: no such file or directory`). */
  protected missing(miss: TreeMiss): BerthError {
    const what = miss.notDirectory ? 'not a directory' : 'no such file or directory';
    return new BerthError('not_found', `${miss.op === 'readlink' ? 'readlink' : 'open'} ${miss.path}: ${what}`);
  }
}

/** A layer entry's path in the view's form; one that climbs out of the root is a broken layer. */
function layerPath(name: string): string {
  const p = cleanPath(name.replace(/^\/+/, ''));
  if (p === '..' || p.startsWith('../')) throw new BerthError('unsafe_path', `layer entry ${JSON.stringify(name)} leaves the root filesystem`);
  return p;
}
