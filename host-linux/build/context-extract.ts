// Writes the entries of an uploaded build context tar into a private directory. A context is data
// the client chose, not a layer: whiteout names are ordinary files here, and nothing may land
// outside the root. Unlike a layer, an entry below a symlink is refused outright rather than
// followed: the docker CLI never sends one, so only a hostile archive does.
//
// File system calls are synchronous, between chunks of the incoming stream, as in
// snapshot/unpack.ts: entries stay in archive order and only the chunk in hand is in memory.
import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync,
  lutimesSync, mkdirSync, openSync, symlinkSync, writeSync,
} from 'node:fs';
import { BerthError } from '../../core/errors.ts';
import { createReplacing, removeEntry } from '../files/replace-entry.ts';
import { cleanPath } from '../../core/build/context/pattern-matcher.ts';
import type { TarHeader, TarReader } from '../../core/layer/tar-read.ts';

const OPEN_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export function refused(entry: string, why: string): BerthError {
  return new BerthError('invalid_argument', `invalid build context: entry ${JSON.stringify(entry)} ${why}`);
}

/**
 * The components of an entry's path below the root ([] for the root itself), cleaned as Docker's
 * extractor and core's MemoryBuildContext clean it: `a/../b` is `b` and a leading slash means the
 * root, so both hosts see one context; only a path that climbs above the root is refused.
 */
export function contextComponents(name: string, entry = name, what = 'its path'): string[] {
  if (name.includes('\0')) throw refused(entry, `has a NUL byte in ${what}`);
  const p = cleanPath(name.replace(/^\/+/, ''));
  if (p === '..' || p.startsWith('../')) throw refused(entry, `is outside the context: ${what} ${JSON.stringify(name)} climbs above its root`);
  return p === '.' ? [] : p.split('/');
}

export class ContextExtractor {
  entries = 0;
  size = 0;
  readonly #root: string;
  readonly #owner: boolean;
  /** Relative paths known to be real directories (not symlinks), so most entries cost no lstat. */
  #dirs = new Set<string>(['']);
  /** Directory times (and, for non-root, modes) are set last: every entry added below changes them. */
  #times = new Map<string, TarHeader>();

  constructor(root: string) {
    this.#root = root;
    this.#owner = process.getuid?.() === 0;
  }

  async entry(h: TarHeader, reader: TarReader): Promise<void> {
    this.entries++;
    const parts = contextComponents(h.name);
    const base = parts.pop();
    if (base === undefined) {
      if (h.type !== 'directory') throw refused(h.name, 'would replace the context root with a non-directory');
      this.#dirMeta('', h);
      return;
    }
    const dir = this.#parent(parts, h.name, true)!;
    const rel = dir ? `${dir}/${base}` : base;
    try {
      switch (h.type) {
        case 'directory': this.#directory(h, rel); break;
        case 'file': await this.#file(h, rel, reader); break;
        case 'symlink':
          // The target is data (COPY copies the link itself), never followed here, so it may point anywhere.
          this.#replace(rel, () => symlinkSync(h.linkname, this.#abs(rel)));
          if (this.#owner) lchownSync(this.#abs(rel), h.uid, h.gid);
          lutimesSync(this.#abs(rel), h.mtime, h.mtime);
          break;
        case 'hardlink': this.#hardlink(h, rel); break;
        default:
          throw refused(h.name, `is a ${h.type}, which a build context cannot carry: remove it or list it in .dockerignore`);
      }
    } catch (e) {
      throw wrap(e, h.name);
    }
  }

  /** Sets directory times, deepest last-listed first, once every entry is in. */
  finish(): void {
    for (const [rel, h] of [...this.#times].reverse()) {
      if (!this.#owner) chmodSync(this.#abs(rel), h.mode);
      lutimesSync(this.#abs(rel), h.mtime, h.mtime);
    }
  }

  #abs(rel: string): string {
    return rel ? `${this.#root}/${rel}` : this.#root;
  }

  /** The directory `parts` names, made (0755, as Docker's extractor does) where missing; never through a symlink. */
  #parent(parts: string[], entry: string, create: boolean): string | undefined {
    let cur = '';
    for (const c of parts) {
      const next = cur ? `${cur}/${c}` : c;
      cur = next;
      if (this.#dirs.has(next)) continue;
      const st = lstatSync(this.#abs(next), { throwIfNoEntry: false });
      if (!st) {
        if (!create) return undefined;
        mkdirSync(this.#abs(next), 0o755);
      } else if (st.isSymbolicLink()) {
        throw refused(entry, `is below the symlink ${JSON.stringify(next)}; an archive entry is never written through a symlink`);
      } else if (!st.isDirectory()) {
        throw refused(entry, `is below ${JSON.stringify(next)}, which is not a directory`);
      }
      this.#dirs.add(next);
    }
    return cur;
  }

  #directory(h: TarHeader, rel: string): void {
    const abs = this.#abs(rel);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) this.#remove(rel);
    if (!st || !st.isDirectory()) mkdirSync(abs, 0o700);
    this.#dirs.add(rel);
    this.#dirMeta(rel, h);
  }

  async #file(h: TarHeader, rel: string, reader: TarReader): Promise<void> {
    let fd!: number;
    this.#replace(rel, () => { fd = openSync(this.#abs(rel), OPEN_NEW, 0o600); });
    try {
      for (let c = await reader.readChunk(); c; c = await reader.readChunk()) {
        for (let off = 0; off < c.byteLength;) off += writeSync(fd, c, off, c.byteLength - off);
      }
      this.size += h.size;
      // Owner before mode: chown clears setuid and setgid.
      if (this.#owner) fchownSync(fd, h.uid, h.gid);
      fchmodSync(fd, h.mode);
      futimesSync(fd, h.mtime, h.mtime);
    } finally {
      closeSync(fd);
    }
  }

  #hardlink(h: TarHeader, rel: string): void {
    const parts = contextComponents(h.linkname, h.name, 'its hard link target');
    const base = parts.pop();
    if (base === undefined) throw refused(h.name, 'is a hard link to the context root');
    const dir = this.#parent(parts, h.name, false);
    const target = dir === undefined ? undefined : dir ? `${dir}/${base}` : base;
    const st = target === undefined ? undefined : lstatSync(this.#abs(target), { throwIfNoEntry: false });
    if (target === undefined || !st) {
      throw refused(h.name, `is a hard link to ${JSON.stringify(h.linkname)}, which is not in the context before it`);
    }
    if (st.isDirectory()) throw refused(h.name, `is a hard link to the directory ${JSON.stringify(h.linkname)}`);
    if (target === rel) return;
    this.#replace(rel, () => linkSync(this.#abs(target), this.#abs(rel)));
  }

  #replace(rel: string, create: () => void): void {
    createReplacing(this.#abs(rel), create, () => this.#forgetDir(rel));
  }

  #remove(rel: string): void {
    removeEntry(this.#abs(rel), () => this.#forgetDir(rel));
  }

  /** A directory that went: its metadata is no longer to be set. */
  #forgetDir(rel: string): void {
    const prefix = `${rel}/`;
    for (const d of this.#dirs) if (d === rel || d.startsWith(prefix)) this.#dirs.delete(d);
    for (const d of this.#times.keys()) if (d === rel || d.startsWith(prefix)) this.#times.delete(d);
  }

  #dirMeta(rel: string, h: TarHeader): void {
    const abs = this.#abs(rel);
    if (this.#owner) lchownSync(abs, h.uid, h.gid);
    // Root writes into any directory; anyone else keeps write access until finish().
    chmodSync(abs, this.#owner ? h.mode : h.mode | 0o700);
    this.#times.delete(rel); // re-inserted: a directory's later entry counts
    this.#times.set(rel, h);
  }
}

function wrap(e: unknown, name: string): unknown {
  if (e instanceof BerthError) return e;
  const err = e as NodeJS.ErrnoException;
  return new BerthError('internal', `failed to write build context entry ${JSON.stringify(name)}: ${err?.message ?? String(e)}`, { cause: e });
}
