// Extracts a layer tar into a directory, streaming, as root: owners, modes (setuid, setgid,
// sticky), xattrs, mtimes, device nodes and fifos are kept. Every entry is placed through
// RootResolver, so a hostile archive cannot write outside the root.
//
// Speed: regular files (almost all of a layer's entries and bytes) are written on the thread pool,
// many at once (FileWriter); everything else is a quick synchronous call made in archive order.
// Order is kept where it matters: an entry waits for an earlier write of the same path (or of its
// hardlink target), path resolution waits when it meets a path still being written, and nothing
// removes a directory while writes are in flight.
import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync,
  lutimesSync, mkdirSync, openSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeSync,
} from 'node:fs';
import { BerthError } from '../../core/errors.ts';
import { TarReader, type TarHeader } from '../../core/layer/tar-read.ts';
import {
  OVERLAY_OPAQUE_XATTR, OVERLAY_WHITEOUT_DEVICE, classifyWhiteout, type Whiteout,
} from '../../core/layer/whiteout.ts';
import { native, S_IFBLK, S_IFCHR, S_IFIFO } from '../native/index.ts';
import { FileWriter } from './file-writer.ts';
import { BUSY, RootResolver, entryComponents, join, unsafe } from './safe-path.ts';

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
/** Files up to this size are buffered and written in the background; bigger ones stream in place. */
const GATHER = 4 * 1024 * 1024;

/** Extracts `tar` (uncompressed) into the existing directory `root`. */
export async function unpackLayer(tar: ReadableStream<Uint8Array>, root: string, opts: UnpackOptions): Promise<UnpackResult> {
  const reader = new TarReader(tar);
  const x = new Extractor(root, opts);
  try {
    for (let h = await reader.next(); h; h = await reader.next()) {
      await x.entry(h, reader);
    }
    await x.finish();
  } catch (e) {
    await reader.cancel(e);
    await x.settle();
    throw e;
  }
  return { entries: x.entries, size: x.size, warnings: x.warnings };
}

class Extractor {
  entries = 0;
  size = 0;
  warnings: string[] = [];
  #r: RootResolver;
  #files = new FileWriter();
  #opts: UnpackOptions;
  #owner: boolean;
  #root: boolean;
  /** Set last: adding entries to a directory changes its mtime (and a read-only mode would block them). */
  #dirs: [rel: string, h: TarHeader][] = [];
  /** Paths this layer created (apply mode: an opaque directory keeps them). */
  #mine = new Set<string>();
  #busy = (rel: string) => this.#files.has(rel);

  constructor(root: string, opts: UnpackOptions) {
    this.#r = new RootResolver(root.replace(/\/+$/, '') || '/');
    this.#opts = opts;
    this.#root = process.getuid?.() === 0;
    this.#owner = opts.sameOwner ?? this.#root;
  }

  async entry(h: TarHeader, reader: TarReader): Promise<void> {
    this.#files.check();
    this.entries++;
    const parts = entryComponents(h.name);
    const base = parts.pop();
    if (base === undefined) { // the root itself ("./")
      if (h.type !== 'directory') throw unsafe(h.name, 'it would replace the root with a non-directory');
      this.#dirMeta('', h);
      return;
    }
    const w = classifyWhiteout(base);
    if (w.kind !== 'none') { await this.#whiteout(h, parts, w); return; }

    const dir = (await this.#dir(parts, h.name, true))!;
    const rel = join(dir, base);
    const abs = this.#r.abs(rel);
    if (this.#opts.whiteouts === 'apply') this.#own(rel);
    if (this.#files.has(rel)) await this.#files.wait(rel);
    try {
      switch (h.type) {
        case 'directory': await this.#directory(h, rel, abs); break;
        case 'file': await this.#file(h, rel, abs, reader); break;
        case 'symlink': await this.#replace(rel, () => symlinkSync(h.linkname, abs)); this.#meta(rel, h); break;
        case 'hardlink': await this.#hardlink(h, rel, abs); break;
        case 'character-device': case 'block-device': case 'fifo': await this.#node(h, rel, abs); break;
      }
    } catch (e) {
      throw wrap(e, h.name);
    }
  }

  async finish(): Promise<void> {
    await this.#files.drain();
    for (let i = this.#dirs.length - 1; i >= 0; i--) {
      const [rel, h] = this.#dirs[i]!;
      const abs = this.#r.abs(rel);
      try {
        if (!this.#root) chmodSync(abs, h.mode);
        lutimesSync(abs, h.mtime, h.mtime);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw wrap(e, h.name); // removed by a later whiteout
      }
    }
  }

  /** After a failure: lets background writes end so the caller can remove the directory. */
  async settle(): Promise<void> {
    await this.#files.drain().catch(() => {});
  }

  async #dir(parts: string[], entry: string, create: boolean): Promise<string | undefined> {
    try {
      return this.#r.dir(parts, entry, create, this.#busy);
    } catch (e) {
      if (e !== BUSY) throw e;
      await this.#files.drain();
      return this.#r.dir(parts, entry, create);
    }
  }

  async #directory(h: TarHeader, rel: string, abs: string): Promise<void> {
    try {
      mkdirSync(abs, 0o700);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!lstatSync(abs).isDirectory()) { await this.#remove(rel); mkdirSync(abs, 0o700); }
    }
    this.#r.addDir(rel);
    this.#dirMeta(rel, h);
  }

  async #file(h: TarHeader, rel: string, abs: string, reader: TarReader): Promise<void> {
    if (lstatSync(abs, { throwIfNoEntry: false })) await this.#remove(rel);
    this.size += h.size;
    const owner = this.#owner ? { uid: h.uid, gid: h.gid } : undefined;
    if (h.size <= GATHER) {
      const chunks = await reader.readBody();
      const xattrs = Object.keys(h.xattrs).length ? () => this.#xattrs(rel, h) : undefined;
      await this.#files.write(rel, abs, chunks, h.size, { mode: h.mode, owner, mtime: h.mtime }, xattrs);
      return;
    }
    const fd = openSync(abs, OPEN_NEW, 0o600);
    try {
      for (let c = await reader.readChunk(); c; c = await reader.readChunk()) {
        let off = 0;
        while (off < c.byteLength) off += writeSync(fd, c, off, c.byteLength - off);
      }
      if (owner) fchownSync(fd, owner.uid, owner.gid);
      fchmodSync(fd, h.mode);
      futimesSync(fd, h.mtime, h.mtime);
    } finally {
      closeSync(fd);
    }
    this.#xattrs(rel, h);
  }

  async #hardlink(h: TarHeader, rel: string, abs: string): Promise<void> {
    const parts = entryComponents(h.linkname, h.name, 'its hardlink target');
    const base = parts.pop();
    if (base === undefined) throw unsafe(h.name, 'it is a hardlink to the root directory');
    const dir = await this.#dir(parts, h.name, false);
    const target = dir === undefined ? undefined : join(dir, base);
    if (target !== undefined && this.#files.has(target)) await this.#files.wait(target);
    if (target === undefined || !lstatSync(this.#r.abs(target), { throwIfNoEntry: false })) {
      throw new BerthError('invalid_layer', `cannot extract layer entry ${JSON.stringify(h.name)}: its hardlink target ${JSON.stringify(h.linkname)} is not in the layer`);
    }
    if (target === rel) return;
    await this.#replace(rel, () => linkSync(this.#r.abs(target), abs));
  }

  async #node(h: TarHeader, rel: string, abs: string): Promise<void> {
    const type = h.type === 'fifo' ? S_IFIFO : h.type === 'block-device' ? S_IFBLK : S_IFCHR;
    try {
      await this.#replace(rel, () => native().mknod(abs, type | (h.mode & 0o777), h.devmajor, h.devminor));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM' && !this.#root) {
        this.#warn(`skipped ${h.type} ${JSON.stringify(h.name)}: only root can create device nodes`);
        return;
      }
      throw e;
    }
    this.#meta(rel, h);
  }

  async #whiteout(h: TarHeader, parts: string[], w: Whiteout): Promise<void> {
    if (w.kind === 'meta' || w.kind === 'none') return;
    const overlay = this.#opts.whiteouts === 'overlay';
    const dir = await this.#dir(parts, h.name, overlay);
    if (dir === undefined) return; // apply: nothing below to delete
    try {
      if (w.kind === 'opaque') {
        if (overlay) {
          native().lsetxattr(this.#r.abs(dir), this.#opts.opaqueXattr ?? OVERLAY_OPAQUE_XATTR, new Uint8Array([0x79]));
        } else {
          await this.#files.drain();
          this.#clearLower(dir);
        }
        return;
      }
      const rel = join(dir, w.name);
      if (this.#files.has(rel)) await this.#files.wait(rel);
      if (overlay) {
        const { major, minor } = OVERLAY_WHITEOUT_DEVICE;
        await this.#replace(rel, () => native().mknod(this.#r.abs(rel), S_IFCHR, major, minor));
        if (this.#owner) lchownSync(this.#r.abs(rel), h.uid, h.gid);
      } else {
        await this.#remove(rel);
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
      if (!this.#mine.has(rel)) { this.#removeNow(rel); continue; }
      if (lstatSync(this.#r.abs(rel)).isDirectory()) this.#clearLower(rel);
    }
  }

  /** Runs `create`; if something is already at `rel`, removes it (never following it) and retries. */
  async #replace(rel: string, create: () => void): Promise<void> {
    try {
      create();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      await this.#remove(rel);
      create();
    }
  }

  async #remove(rel: string): Promise<void> {
    const st = lstatSync(this.#r.abs(rel), { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) await this.#files.drain(); // nothing may still be writing inside it
    this.#removeNow(rel);
  }

  #removeNow(rel: string): void {
    const abs = this.#r.abs(rel);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      rmSync(abs, { recursive: true, force: true });
      this.#r.forget(rel);
    } else {
      unlinkSync(abs);
    }
  }

  #dirMeta(rel: string, h: TarHeader): void {
    const abs = this.#r.abs(rel);
    if (this.#owner) lchownSync(abs, h.uid, h.gid);
    // Root may write into any directory; anyone else keeps write access until finish().
    chmodSync(abs, this.#root ? h.mode : h.mode | 0o700);
    this.#xattrs(rel, h);
    this.#dirs.push([rel, h]);
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

function wrap(e: unknown, name: string): unknown {
  if (e instanceof BerthError) return e;
  const err = e as NodeJS.ErrnoException;
  return new BerthError('internal', `failed to extract layer entry ${JSON.stringify(name)}: ${err?.message ?? String(e)}`, { cause: e });
}
