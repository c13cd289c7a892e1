// A build context over a directory on the host (one receiveContext filled). Paths are relative to
// the root and cleaned as core's contextPath cleans them, so `..` never climbs out; no symlink is
// ever followed, not even on the way to a path (a path through one does not exist, as in
// MemoryBuildContext), so nothing outside the root can be read: resolving a context's symlinks
// (scoped to the root, as Docker does for COPY sources) is the builder's business.
import { closeSync, constants, createReadStream, fstatSync, openSync, type Stats } from 'node:fs';
import { lstat, readdir, readlink, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { BerthError } from '../../core/errors.ts';
import { byteOrder, contextPath, type BuildContext, type ContextStat } from '../../core/build/context/build-context.ts';
import { devNumbers } from '../runtime/host-devices.ts';

/** lstat's answer with the inode, so hard links in the context can be told apart. */
export interface DirectoryStat extends ContextStat {
  ino: number;
  nlink: number;
}

export class DirectoryContext implements BuildContext {
  readonly root: string;
  readonly #holder: string;
  #closed = false;

  /** `holder` is what close() removes (root itself or a directory holding it). */
  constructor(root: string, holder = root) {
    this.root = root;
    this.#holder = holder;
  }

  /** The path's own metadata (a symlink is not followed), or undefined when nothing is there. */
  async lstat(path: string): Promise<DirectoryStat | undefined> {
    const abs = await this.#resolve(path);
    const st = abs === undefined ? undefined : await lstat(abs).catch(missing);
    if (!st) return undefined;
    const out = statOf(st);
    if (out.type === 'symlink') out.linkname = await readlink(abs!);
    return out;
  }

  /** The names in a directory, sorted by their bytes as Go's filepath.Walk orders them. */
  async readdir(path: string): Promise<string[]> {
    const abs = await this.#existing(path);
    try {
      return (await readdir(abs)).sort(byteOrder);
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
      throw new BerthError('invalid_argument', `read ${contextPath(path)}: not a regular file`);
    }
    return Readable.toWeb(createReadStream('', { fd, highWaterMark: 256 * 1024 })) as unknown as ReadableStream<Uint8Array>;
  }

  /** Removes the directory and everything in it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await rm(this.#holder, { recursive: true, force: true });
  }

  /** The absolute path for `path`, or undefined when a directory on the way is missing or not a real directory. */
  async #resolve(path: string): Promise<string | undefined> {
    if (this.#closed) throw new BerthError('invalid_argument', 'the build context was closed');
    if (path.includes('\0')) throw new BerthError('invalid_argument', `build context path ${JSON.stringify(path)} contains a NUL byte`);
    const p = contextPath(path);
    if (p === '.') return this.root;
    const parts = p.split('/');
    let abs = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      abs = `${abs}/${parts[i]}`;
      const st = await lstat(abs).catch(missing);
      if (!st?.isDirectory()) return undefined;
    }
    return `${this.root}/${p}`;
  }

  async #existing(path: string): Promise<string> {
    const abs = await this.#resolve(path);
    if (abs === undefined) throw notFound(path, 'file does not exist');
    return abs;
  }
}

function statOf(st: Stats): DirectoryStat {
  const type: ContextStat['type'] = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink'
    : st.isFIFO() ? 'fifo' : st.isBlockDevice() ? 'block-device' : 'character-device';
  const dev = st.isBlockDevice() || st.isCharacterDevice() ? devNumbers(BigInt(st.rdev)) : { major: 0, minor: 0 };
  return {
    type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: type === 'file' ? st.size : 0, mtime: st.mtime,
    linkname: '', devmajor: dev.major, devminor: dev.minor, ino: st.ino, nlink: st.nlink,
  };
}

function missing(e: unknown): undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  throw e;
}

/** Go's os error texts, as MemoryBuildContext words them. */
function notFound(path: string, why: string): BerthError {
  return new BerthError('not_found', `stat ${contextPath(path)}: ${why}`);
}

function fsError(e: unknown, path: string): unknown {
  const p = contextPath(path);
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': return notFound(path, 'file does not exist');
    case 'ENOTDIR': return notFound(path, 'not a directory');
    case 'ELOOP': return new BerthError('invalid_argument', `read ${p}: not a regular file`);
    case 'EINVAL': return new BerthError('invalid_argument', `readlink ${p}: invalid argument`);
    default: return new BerthError('internal', `build context path ${p}: ${(e as Error).message}`, { cause: e });
  }
}
