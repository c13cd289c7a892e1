// A wasm container's root filesystem in memory: the image's layer tars applied in order (OCI
// whiteouts included), flattened into one buffer plus an index so it crosses into the module's
// worker as a single copy. The worker's copy is the container's own: writes stay in it
// (copy-on-write with respect to the image, gone when the module ends).
import { BerthError } from '../errors.ts';
import { TarReader } from '../layer/tar-read.ts';
import { classifyWhiteout } from '../layer/whiteout.ts';
import { concatBytes } from '../bytes.ts';

export interface RootfsEntry {
  /** Relative, '/'-separated, no leading slash; '' is never listed (the root is implicit). */
  path: string;
  kind: 'dir' | 'file';
  mode: number;
  /** A file's bytes in `RootfsImage.data`. */
  offset?: number;
  size?: number;
}

/** What the worker gets: structured-clone friendly. */
export interface RootfsImage {
  entries: RootfsEntry[];
  data: ArrayBuffer;
}

type Node =
  | { kind: 'dir'; mode: number }
  | { kind: 'file'; mode: number; data: Uint8Array }
  | { kind: 'symlink'; target: string }
  | { kind: 'hardlink'; target: string };

function cleanPath(name: string): string | undefined {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') return undefined;
    parts.push(p);
  }
  return parts.join('/');
}

function within(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

/** Applies one uncompressed layer tar onto `tree`: whiteouts act on the lower layers only. */
async function applyLayer(tree: Map<string, Node>, tar: ReadableStream<Uint8Array>): Promise<void> {
  const reader = new TarReader(tar);
  const added = new Map<string, Node>();
  const deleted: string[] = [];
  const opaque: string[] = [];
  for (let h = await reader.next(); h; h = await reader.next()) {
    const path = cleanPath(h.name);
    if (path === undefined) throw new BerthError('unsafe_path', `layer entry ${JSON.stringify(h.name)} leaves the root filesystem`);
    if (path === '') continue;
    const w = classifyWhiteout(path);
    if (w.kind === 'whiteout') { deleted.push(w.target); continue; }
    if (w.kind === 'opaque') { opaque.push(w.dir); continue; }
    if (w.kind === 'meta') continue;
    switch (h.type) {
      case 'directory': added.set(path, { kind: 'dir', mode: h.mode }); break;
      case 'file': added.set(path, { kind: 'file', mode: h.mode, data: concatBytes(await reader.readBody()) }); break;
      case 'symlink': added.set(path, { kind: 'symlink', target: h.linkname }); break;
      case 'hardlink': {
        const target = cleanPath(h.linkname);
        if (target) added.set(path, { kind: 'hardlink', target });
        break;
      }
      default: break; // devices and fifos mean nothing to a wasm module
    }
  }
  for (const p of [...tree.keys()]) {
    if (deleted.some((d) => within(p, d)) || opaque.some((d) => p !== d && within(p, d))) tree.delete(p);
  }
  for (const [p, n] of added) {
    tree.set(p, n);
    for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) {
      const parent = p.slice(0, i);
      if (tree.get(parent)?.kind !== 'dir') tree.set(parent, { kind: 'dir', mode: 0o755 });
    }
  }
}

/** Follows symlinks and hard links (the in-memory file system has neither) to a file or directory. */
function resolve(tree: Map<string, Node>, path: string, depth = 0): { path: string; node: Node } | undefined {
  if (depth > 40) return undefined;
  const n = tree.get(path);
  if (!n) return undefined;
  if (n.kind === 'hardlink') return resolve(tree, n.target, depth + 1);
  if (n.kind !== 'symlink') return { path, node: n };
  const base = n.target.startsWith('/') ? '' : path.split('/').slice(0, -1).join('/');
  const target = cleanPath(`${base}/${n.target}`);
  return target === undefined ? undefined : resolve(tree, target, depth + 1);
}

/** The root filesystem of layers (lowest first) as one buffer and its index. */
export async function rootfsFromLayers(tars: AsyncIterable<ReadableStream<Uint8Array>> | Iterable<ReadableStream<Uint8Array>>): Promise<RootfsImage> {
  const tree = new Map<string, Node>();
  for await (const tar of tars) await applyLayer(tree, tar);
  const entries: RootfsEntry[] = [];
  const files: Uint8Array[] = [];
  const placed = new Map<Uint8Array, number>();
  let size = 0;
  for (const path of [...tree.keys()].sort()) {
    const r = resolve(tree, path);
    // A symlink to a directory would need a second copy of the tree: such links are left out.
    if (!r || (r.path !== path && r.node.kind === 'dir')) continue;
    if (r.node.kind === 'dir') { entries.push({ path, kind: 'dir', mode: r.node.mode }); continue; }
    if (r.node.kind !== 'file') continue;
    let offset = placed.get(r.node.data);
    if (offset === undefined) {
      offset = size;
      placed.set(r.node.data, offset);
      files.push(r.node.data);
      size += r.node.data.length;
    }
    entries.push({ path, kind: 'file', mode: r.node.mode, offset, size: r.node.data.length });
  }
  return { entries, data: concatBytes(files).buffer as ArrayBuffer };
}

/** A file's bytes, or undefined when `path` (absolute or relative to the root) is not a file. */
export function rootfsFile(image: RootfsImage, path: string): Uint8Array | undefined {
  const p = cleanPath(path);
  const e = image.entries.find((x) => x.path === p);
  if (!e || e.kind !== 'file') return undefined;
  return new Uint8Array(image.data, e.offset, e.size);
}

export function rootfsHas(image: RootfsImage, path: string): 'file' | 'dir' | undefined {
  const p = cleanPath(path);
  if (p === '') return 'dir';
  return image.entries.find((x) => x.path === p)?.kind;
}
