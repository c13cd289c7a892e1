// Extracts a layer tar into a directory, streaming, as root: owners, modes (setuid, setgid,
// sticky), xattrs, mtimes, device nodes and fifos are kept. Every entry is placed through
// RootResolver, so a hostile archive cannot write outside the root.
//
// File system calls are synchronous on purpose. They run between chunks of the incoming stream
// (which is decompressed on libuv's thread pool meanwhile), keep entries strictly in archive order
// with no bookkeeping, and cost no thread-pool round trip each: measured on a 100 MB, 5,000-file
// layer, writing files on the thread pool (even several at once) was slower on fast file systems
// and no faster on slow ones, where creating an inode is the cost and the kernel serialises it.
// Small files are gathered and written with one writev.
import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync,
  lutimesSync, mkdirSync, openSync, readdirSync, symlinkSync, writeSync, writevSync,
} from 'node:fs';
import { BerthError } from '../../core/errors.ts';
import { createReplacing, removeEntry } from '../files/replace-entry.ts';
import { TarReader, type TarHeader } from '../../core/layer/tar-read.ts';
import {
  OVERLAY_OPAQUE_XATTR, OVERLAY_WHITEOUT_DEVICE, classifyWhiteout, type Whiteout,
} from '../../core/layer/whiteout.ts';
import { native, S_IFBLK, S_IFCHR, S_IFIFO } from '../native/index.ts';
import { RootResolver, entryComponents, join, unsafe } from './safe-path.ts';

export interface UnpackOptions {
  /**
   * 'overlay': keep whiteouts in overlayfs' form (a 0/0 character device for a deleted path, the
   * xattr trusted.overlay.opaque=y on an opaque directory), for a layer stacked later.
   * 'apply': delete what they name, for flattening layers into one tree.
   */
  whiteouts: 'overlay' | 'apply';
  /** Keep owners from the archive (lchown). Defaults to true when running as root. */
  sameOwner?: boolean;
  /** xattr marking an opaque directory in overlay mode (rootless overlayfs uses user.overlay.opaque). */
  opaqueXattr?: string;
  /** Told about what could not be kept but does not make the layer wrong (xattrs a file system refuses). */
  onWarning?: (message: string) => void;
}

export interface UnpackResult {
  /** Entries in the archive, whiteouts included. */
  entries: number;
  /** Bytes of regular file contents written. */
  size: number;
  warnings: string[];
}

const OPEN_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Files up to this size are gathered and written with one writev; bigger ones as they stream. */
const GATHER = 1024 * 1024;

/** Extracts `tar` (uncompressed) into the existing directory `root`. */
export async function unpackLayer(tar: ReadableStream<Uint8Array>, root: string, opts: UnpackOptions): Promise<UnpackResult> {
  const reader = new TarReader(tar);
  const x = new Extractor(root, opts);
  try {
    for (let h = await reader.next(); h; h = await reader.next()) {
      await x.entry(h, reader);
    }
    x.finish();
  } catch (e) {
    await reader.cancel(e);
    throw e;
  }
  return { entries: x.entries, size: x.size, warnings: x.warnings };
}

class Extractor {
  entries = 0;
  size = 0;
  warnings: string[] = [];
  #r: RootResolver;
  #opts: UnpackOptions;
  #owner: boolean;
  #root: boolean;
  /**
   * Directories whose mtime (and, for non-root, mode) is set last: adding entries changes a
   * directory's mtime, and a read-only mode would block them. Forgotten when removed, so a later
   * symlink in their place is never followed.
   */
  #dirs = new Map<string, TarHeader>();
  /** Paths this layer created (apply mode: an opaque directory keeps them). */
  #mine = new Set<string>();

  constructor(root: string, opts: UnpackOptions) {
    this.#r = new RootResolver(root.replace(/\/+$/, '') || '/');
    this.#opts = opts;
    this.#root = process.getuid?.() === 0;
    this.#owner = opts.sameOwner ?? this.#root;
  }

  async entry(h: TarHeader, reader: TarReader): Promise<void> {
    this.entries++;
    const parts = entryComponents(h.name);
    const base = parts.pop();
    if (base === undefined) { // the root itself ("./")
      if (h.type !== 'directory') throw unsafe(h.name, 'it would replace the root with a non-directory');
      this.#dirMeta('', h);
      return;
    }
    const w = classifyWhiteout(base);
    if (w.kind !== 'none') { this.#whiteout(h, parts, w); return; }

    const dir = this.#r.dir(parts, h.name, true)!;
    const rel = join(dir, base);
    const abs = this.#r.abs(rel);
    if (this.#opts.whiteouts === 'apply') this.#own(rel);
    try {
      switch (h.type) {
        case 'directory': this.#directory(h, rel, abs); break;
        case 'file': await this.#file(h, rel, abs, reader); break;
        case 'symlink': this.#replace(rel, () => symlinkSync(h.linkname, abs)); this.#meta(rel, h); break;
        case 'hardlink': this.#hardlink(h, rel, abs); break;
        case 'character-device': case 'block-device': case 'fifo': this.#node(h, rel, abs); break;
      }
    } catch (e) {
      throw wrap(e, h.name);
    }
  }

  finish(): void {
    const dirs = [...this.#dirs].reverse();
    for (const [rel, h] of dirs) {
      const abs = this.#r.abs(rel);
      try {
        if (!this.#root) chmodSync(abs, h.mode);
        lutimesSync(abs, h.mtime, h.mtime);
      } catch (e) {
        throw wrap(e, h.name);
      }
    }
  }

  #directory(h: TarHeader, rel: string, abs: string): void {
    try {
      mkdirSync(abs, 0o700);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!lstatSync(abs).isDirectory()) { this.#remove(rel); mkdirSync(abs, 0o700); }
    }
    this.#r.addDir(rel);
    this.#dirMeta(rel, h);
  }

  async #file(h: TarHeader, rel: string, abs: string, reader: TarReader): Promise<void> {
    let fd!: number;
    this.#replace(rel, () => { fd = openSync(abs, OPEN_NEW, 0o600); });
    try {
      if (h.size <= GATHER) {
        const chunks = await reader.readBody();
        if (chunks.length === 1) writeAll(fd, chunks[0]!);
        else if (chunks.length > 1) writevAll(fd, chunks, h.size);
      } else {
        for (let c = await reader.readChunk(); c; c = await reader.readChunk()) writeAll(fd, c);
      }
      this.size += h.size;
      if (this.#owner) fchownSync(fd, h.uid, h.gid);
      fchmodSync(fd, h.mode);
      futimesSync(fd, h.mtime, h.mtime);
    } finally {
      closeSync(fd);
    }
    this.#xattrs(rel, h);
  }

  #hardlink(h: TarHeader, rel: string, abs: string): void {
    const parts = entryComponents(h.linkname, h.name, 'its hardlink target');
    const base = parts.pop();
    if (base === undefined) throw unsafe(h.name, 'it is a hardlink to the root directory');
    const dir = this.#r.dir(parts, h.name, false);
    const target = dir === undefined ? undefined : join(dir, base);
    if (target === undefined || !lstatSync(this.#r.abs(target), { throwIfNoEntry: false })) {
      throw new BerthError('invalid_layer', `cannot extract layer entry ${JSON.stringify(h.name)}: its hardlink target ${JSON.stringify(h.linkname)} is not in the layer`);
    }
    if (target === rel) return;
    this.#replace(rel, () => linkSync(this.#r.abs(target), abs));
  }

  #node(h: TarHeader, rel: string, abs: string): void {
    const type = h.type === 'fifo' ? S_IFIFO : h.type === 'block-device' ? S_IFBLK : S_IFCHR;
    try {
      this.#replace(rel, () => native().mknod(abs, type | (h.mode & 0o777), h.devmajor, h.devminor));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM' && !this.#root) {
        this.#warn(`skipped ${h.type} ${JSON.stringify(h.name)}: only root can create device nodes`);
        return;
      }
      throw e;
    }
    this.#meta(rel, h);
  }

  #whiteout(h: TarHeader, parts: string[], w: Whiteout): void {
    if (w.kind === 'meta' || w.kind === 'none') return;
    const overlay = this.#opts.whiteouts === 'overlay';
    const dir = this.#r.dir(parts, h.name, overlay);
    if (dir === undefined) return; // apply: nothing below to delete
    try {
      if (w.kind === 'opaque') {
        if (overlay) {
          native().lsetxattr(this.#r.abs(dir), this.#opts.opaqueXattr ?? OVERLAY_OPAQUE_XATTR, new Uint8Array([0x79]));
        } else {
          this.#clearLower(dir);
        }
        return;
      }
      const rel = join(dir, w.name);
      if (overlay) {
        const { major, minor } = OVERLAY_WHITEOUT_DEVICE;
        this.#replace(rel, () => native().mknod(this.#r.abs(rel), S_IFCHR, major, minor));
        if (this.#owner) lchownSync(this.#r.abs(rel), h.uid, h.gid);
      } else {
        this.#remove(rel);
      }
    } catch (e) {
      throw wrap(e, h.name);
    }
  }

  /** Marks `rel` and its ancestors as this layer's, so an opaque marker in any of them keeps it. */
  #own(rel: string): void {
    this.#mine.add(rel);
    for (let i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) this.#mine.add(rel.slice(0, i));
  }

  /** Apply mode's opaque directory: everything below `dir` not created by this layer goes. */
  #clearLower(dir: string): void {
    for (const name of readdirSync(this.#r.abs(dir))) {
      const rel = join(dir, name);
      if (!this.#mine.has(rel)) { this.#remove(rel); continue; }
      if (lstatSync(this.#r.abs(rel)).isDirectory()) this.#clearLower(rel);
    }
  }

  /** Runs `create`; if something is already at `rel`, removes it (never following it) and retries. */
  #replace(rel: string, create: () => void): void {
    createReplacing(this.#r.abs(rel), create, () => this.#forgetDir(rel));
  }

  #remove(rel: string): void {
    removeEntry(this.#r.abs(rel), () => this.#forgetDir(rel));
  }

  /** A directory that went: the resolver and the pending metadata forget it and what was under it. */
  #forgetDir(rel: string): void {
    this.#r.forget(rel);
    const prefix = `${rel}/`;
    for (const d of this.#dirs.keys()) if (d === rel || d.startsWith(prefix)) this.#dirs.delete(d);
  }

  #dirMeta(rel: string, h: TarHeader): void {
    const abs = this.#r.abs(rel);
    if (this.#owner) lchownSync(abs, h.uid, h.gid);
    // Root may write into any directory; anyone else keeps write access until finish().
    chmodSync(abs, this.#root ? h.mode : h.mode | 0o700);
    this.#xattrs(rel, h);
    this.#dirs.delete(rel); // re-inserted: a directory's later entry counts
    this.#dirs.set(rel, h);
  }

  /** Owner, then mode (chown clears setuid/setgid), then times, then xattrs (chown clears capabilities). */
  #meta(rel: string, h: TarHeader): void {
    const abs = this.#r.abs(rel);
    if (this.#owner) lchownSync(abs, h.uid, h.gid);
    if (h.type !== 'symlink') chmodSync(abs, h.mode);
    lutimesSync(abs, h.mtime, h.mtime);
    this.#xattrs(rel, h);
  }

  #xattrs(rel: string, h: TarHeader): void {
    for (const name in h.xattrs) {
      try {
        native().lsetxattr(this.#r.abs(rel), name, h.xattrs[name]!);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Not every file system takes every namespace (tmpfs and user.*, symlinks and user.*).
        if (code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EPERM') {
          this.#warn(`could not keep xattr ${name} of ${JSON.stringify(h.name)}: ${code}`);
        } else {
          throw e;
        }
      }
    }
  }

  #warn(message: string): void {
    this.warnings.push(message);
    this.#opts.onWarning?.(message);
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.byteLength) off += writeSync(fd, chunk, off, chunk.byteLength - off);
}

function writevAll(fd: number, chunks: Uint8Array[], size: number): void {
  let n = writevSync(fd, chunks);
  if (n === size) return;
  // A short writev (rare: signals, odd file systems): finish chunk by chunk.
  for (const c of chunks) {
    if (n >= c.byteLength) { n -= c.byteLength; continue; }
    writeAll(fd, n ? c.subarray(n) : c);
    n = 0;
  }
}

function wrap(e: unknown, name: string): unknown {
  if (e instanceof BerthError) return e;
  const err = e as NodeJS.ErrnoException;
  return new BerthError('internal', `failed to extract layer entry ${JSON.stringify(name)}: ${err?.message ?? String(e)}`, { cause: e });
}
