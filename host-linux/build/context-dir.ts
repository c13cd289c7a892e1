// A build context over a directory on the host (one receiveContext filled). Paths are relative to
// the root; `..` is refused and no symlink is ever followed, not even on the way to a path, so
// nothing outside the root can be read: resolving a context's symlinks (scoped to the root, as
// Docker does for COPY sources) is the builder's business, through lstat and readlink.
import { closeSync, constants, createReadStream, fstatSync, openSync } from 'node:fs';
import { lstat, readdir, readlink, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { BerthError } from '../../core/errors.ts';

export type ContextEntryType = 'file' | 'directory' | 'symlink' | 'other';

/** What lstat says about a path of the context. */
export interface ContextStat {
  type: ContextEntryType;
  /** Permission bits with setuid, setgid and sticky (no file type bits). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of a regular file's content (0 for the rest). */
  size: number;
  mtime: Date;
  /** Links to the same inode: hard links in the context share one (ino tells them apart). */
  nlink: number;
  ino: number;
}

export class DirectoryContext {
  readonly root: string;
  readonly #holder: string;
  #closed = false;

  /** `holder` is what close() removes (root itself or a directory holding it). */
  constructor(root: string, holder = root) {
    this.root = root;
    this.#holder = holder;
  }

  /** The path's own metadata (a symlink is not followed), or undefined when nothing is there. */
  async lstat(path: string): Promise<ContextStat | undefined> {
    const abs = await this.#resolve(path);
    if (abs === undefined) return undefined;
    const st = await lstat(abs).catch(missing);
    if (!st) return undefined;
    const type: ContextEntryType = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
    return {
      type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: type === 'file' ? st.size : 0,
      mtime: st.mtime, nlink: st.nlink, ino: st.ino,
    };
  }

  /** The names in a directory, sorted by their bytes as Go's filepath.Walk orders them. */
  async readdir(path: string): Promise<string[]> {
    const abs = await this.#existing(path);
    try {
      return sortByBytes(await readdir(abs));
    } catch (e) {
      throw fsError(e, path);
    }
  }

  /** A symlink's target, as stored. */
  async readlink(path: string): Promise<string> {
    const abs = await this.#existing(path);
    try {
      return await readlink(abs);
    } catch (e) {
      throw fsError(e, path);
    }
  }

  /** A regular file's content, streamed from disk. */
  async read(path: string): Promise<ReadableStream<Uint8Array>> {
    const abs = await this.#existing(path);
    let fd: number;
    try {
      // O_NOFOLLOW: the last component is never a symlink's target; O_NONBLOCK: a fifo cannot hang the open.
      fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      throw fsError(e, path);
    }
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new BerthError('invalid_argument', `build context path ${JSON.stringify(path)} is not a regular file`);
    }
    return Readable.toWeb(createReadStream('', { fd, highWaterMark: 256 * 1024 })) as unknown as ReadableStream<Uint8Array>;
  }

  /** Removes the directory and everything in it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await rm(this.#holder, { recursive: true, force: true });
  }

  /** The absolute path for `path`, or undefined when a component on the way is missing. */
  async #resolve(path: string): Promise<string | undefined> {
    if (this.#closed) throw new BerthError('invalid_argument', 'the build context was closed');
    if (path.includes('\0')) throw new BerthError('invalid_argument', `build context path ${JSON.stringify(path)} contains a NUL byte`);
    const parts: string[] = [];
    for (const c of path.split('/')) {
      if (c === '' || c === '.') continue;
      if (c === '..') throw new BerthError('invalid_argument', `build context path ${JSON.stringify(path)} is outside the context: it contains ".."`);
      parts.push(c);
    }
    let abs = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      abs = `${abs}/${parts[i]}`;
      const st = await lstat(abs).catch(missing);
      if (!st) return undefined;
      if (st.isSymbolicLink()) {
        throw new BerthError('invalid_argument', `build context path ${JSON.stringify(path)} goes through the symlink ${JSON.stringify(parts.slice(0, i + 1).join('/'))}: resolve it first`);
      }
      if (!st.isDirectory()) return undefined;
    }
    return parts.length ? `${this.root}/${parts.join('/')}` : this.root;
  }

  async #existing(path: string): Promise<string> {
    const abs = await this.#resolve(path);
    if (abs === undefined) throw notFound(path);
    return abs;
  }
}

function missing(e: unknown): undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  throw e;
}

function notFound(path: string): BerthError {
  return new BerthError('not_found', `build context path ${JSON.stringify(path)}: no such file or directory`);
}

function fsError(e: unknown, path: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return notFound(path);
  if (code === 'ENOTDIR') return new BerthError('invalid_argument', `build context path ${JSON.stringify(path)} is not a directory`);
  if (code === 'ELOOP') return new BerthError('invalid_argument', `build context path ${JSON.stringify(path)} is a symlink`);
  return new BerthError('internal', `build context path ${JSON.stringify(path)}: ${(e as Error).message}`, { cause: e });
}

/** JavaScript compares UTF-16 units, which orders some non-ASCII names unlike Go (and Docker) does. */
function sortByBytes(names: string[]): string[] {
  return names.map((n) => ({ n, b: Buffer.from(n) })).sort((x, y) => Buffer.compare(x.b, y.b)).map((x) => x.n);
}
