// The build context as COPY and ADD see it: a small read-only file system rooted at the context, so the
// Linux host can serve it from the directory the uploaded tar was unpacked into (a context never has to
// fit in memory) and the browser from the tar itself. Paths are slash-separated and relative to the root;
// nothing can name a file outside it.
import { BerthError } from '../../errors.ts';
import { readTar, type TarEntryType } from '../../layer/tar-read.ts';
import { cleanPath, parentPath } from './pattern-matcher.ts';

/** What lstat tells about one file; symlinks are not followed. */
export interface ContextStat {
  type: Exclude<TarEntryType, 'hardlink'>;
  /** Permission bits with setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  /** A symlink's target, as written. */
  linkname: string;
  devmajor: number;
  devminor: number;
}

export interface BuildContext {
  /** The file itself (a symlink is not followed); undefined when nothing is there. */
  lstat(path: string): Promise<ContextStat | undefined>;
  /** The names in a directory, sorted as Go's filepath.Walk visits them. */
  readdir(path: string): Promise<string[]>;
  /** A regular file's bytes. */
  read(path: string): Promise<ReadableStream<Uint8Array>>;
  /** A symlink's target, as written. */
  readlink(path: string): Promise<string>;
}

/**
 * A context path in its one canonical form: cleaned, no leading slash, `.` for the root. `..` that would
 * climb above the root is refused with dockerd's text.
 */
export function contextPath(path: string): string {
  const p = cleanPath(path.replace(/^\/+/, ''));
  if (p === '..' || p.startsWith('../')) throw new BerthError('invalid_argument', `forbidden path outside the build context: ${path}`);
  return p;
}

export function joinContextPath(dir: string, name: string): string {
  return dir === '.' ? name : `${dir}/${name}`;
}

export interface TreeNode { stat: ContextStat; data?: Uint8Array }

/** Why a read found nothing it could use, for the subclass to word as its callers expect. */
export type TreeMiss = { op: 'readdir' | 'read' | 'readlink'; path: string; notDirectory?: boolean };

export function directoryStat(mtime = new Date(0)): ContextStat {
  return { type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0, mtime, linkname: '', devmajor: 0, devminor: 0 };
}

/**
 * A file system held whole in memory, as the builder reads it: the tree both in-memory contexts keep
 * (MemoryBuildContext, a context tar; LayeredContext, an image's layers) and the reads over it. Placing
 * an entry follows an extractor: missing parents become 0755 directories (a parent that is not a
 * directory is replaced), a directory over a directory keeps what is in it, anything else replaces the
 * whole tree there.
 */
export abstract class MemoryTree implements BuildContext {
  protected readonly files: Map<string, TreeNode>;
  protected readonly children: Map<string, Set<string>>;

  protected constructor(files = new Map([['.', { stat: directoryStat() }]]), children = new Map([['.', new Set<string>()]])) {
    this.files = files;
    this.children = children;
  }

  /** The error for a path that is missing (or not a directory, for readdir). */
  protected abstract missing(miss: TreeMiss): BerthError;

  protected put(path: string, node: TreeNode): void {
    if (path === '.') {
      if (node.stat.type === 'directory') this.files.set('.', node);
      return;
    }
    const parent = parentPath(path);
    if (this.files.get(parent)?.stat.type !== 'directory') this.put(parent, { stat: directoryStat() });
    const existing = this.files.get(path);
    if (existing && !(existing.stat.type === 'directory' && node.stat.type === 'directory')) this.removeTree(path);
    this.files.set(path, node);
    if (node.stat.type === 'directory' && !this.children.has(path)) this.children.set(path, new Set());
    this.children.get(parent)!.add(path.slice(path.lastIndexOf('/') + 1));
  }

  protected removeTree(path: string): void {
    if (path === '.' || !this.files.has(path)) return;
    for (const name of this.children.get(path) ?? []) this.removeTree(joinContextPath(path, name));
    this.children.delete(path);
    this.files.delete(path);
    this.children.get(parentPath(path))?.delete(path.slice(path.lastIndexOf('/') + 1));
  }

  async lstat(path: string): Promise<ContextStat | undefined> {
    const node = this.files.get(contextPath(path));
    return node ? { ...node.stat } : undefined;
  }

  async readdir(path: string): Promise<string[]> {
    const p = contextPath(path);
    const names = this.children.get(p);
    if (!names) throw this.missing({ op: 'readdir', path: p, notDirectory: this.files.has(p) });
    return [...names].sort(byteOrder);
  }

  async read(path: string): Promise<ReadableStream<Uint8Array>> {
    const p = contextPath(path);
    const node = this.files.get(p);
    if (!node) throw this.missing({ op: 'read', path: p });
    if (node.stat.type !== 'file') throw new BerthError('invalid_argument', `read ${p}: not a regular file`);
    return bytesStream(node.data ?? new Uint8Array(0));
  }

  async readlink(path: string): Promise<string> {
    const p = contextPath(path);
    const node = this.files.get(p);
    if (!node) throw this.missing({ op: 'readlink', path: p });
    if (node.stat.type !== 'symlink') throw new BerthError('invalid_argument', `readlink ${p}: invalid argument`);
    return node.stat.linkname;
  }
}

/** A build context held in memory, read from a tar (tests, the browser host, small uploads). */
export class MemoryBuildContext extends MemoryTree {
  private constructor() {
    super();
  }

  /** Every entry of the archive; hardlinks become copies of their target, missing parents 0755 directories. */
  static async fromTar(stream: ReadableStream<Uint8Array>): Promise<MemoryBuildContext> {
    const ctx = new MemoryBuildContext();
    for await (const entry of readTar(stream)) {
      const path = contextPath(entry.name);
      if (path === '.') {
        if (entry.type === 'directory') ctx.put('.', { stat: { ...directoryStat(entry.mtime), mode: entry.mode, uid: entry.uid, gid: entry.gid } });
        continue;
      }
      const base = {
        mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, linkname: '',
        devmajor: entry.devmajor, devminor: entry.devminor, size: 0,
      };
      if (entry.type === 'hardlink') {
        const target = ctx.files.get(contextPath(entry.linkname));
        if (!target) throw new BerthError('invalid_argument', `build context: hardlink ${entry.name} to ${entry.linkname}, which is not in the archive before it`);
        ctx.put(path, { stat: { ...target.stat }, ...(target.data ? { data: target.data } : {}) });
      } else if (entry.type === 'file') {
        const data = new Uint8Array(await new Response(entry.body).arrayBuffer());
        ctx.put(path, { stat: { ...base, type: 'file', size: data.byteLength }, data });
      } else {
        ctx.put(path, { stat: { ...base, type: entry.type, linkname: entry.type === 'symlink' ? entry.linkname : '' } });
      }
    }
    return ctx;
  }

  /** dockerd's wording for a context path (`stat x: file does not exist`), as DirectoryContext words it. */
  protected missing(miss: TreeMiss): BerthError {
    return new BerthError('not_found', `stat ${miss.path}: ${miss.notDirectory ? 'not a directory' : 'file does not exist'}`);
  }
}

/**
 * Go's order of names: by UTF-8 bytes, which is code point order. UTF-16 units sort the same way except
 * where a surrogate (above the BMP) meets U+E000-U+FFFF, so only there are code points compared.
 */
export function byteOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    return x >= 0xd800 && y >= 0xd800 ? a.codePointAt(i)! - b.codePointAt(i)! : x - y;
  }
  return a.length - b.length;
}

/** Bytes held in memory as a stream (this context's files, downloaded sources). */
export function bytesStream(data: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({ start(c) { if (data.byteLength) c.enqueue(data); c.close(); } });
}
