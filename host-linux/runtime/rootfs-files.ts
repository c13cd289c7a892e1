// Files of a container's root file system for cp, diff, export and commit. Paths from the API
// are resolved inside the rootfs with symlinks followed relative to it (as if chrooted), so a
// container's symlink can never make the daemon read or write the host's files.
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { posix } from 'node:path';
import type { Change, PathStat } from '../../core/engine/containers/runtime.ts';
import { BerthError } from '../../core/errors.ts';
import { TarWriter, type TarHeaderInit } from '../../core/layer/tar-write.ts';
import { unpackLayer } from '../snapshot/unpack.ts';
import { native } from '../native/index.ts';

const MAX_LINKS = 255;

/**
 * The host path of `path` inside `root`: every symlink on the way is followed within the root;
 * the last component is followed only when `followLast`.
 */
export async function resolveInRoot(root: string, path: string, followLast = false): Promise<string> {
  let parts = posix.normalize('/' + path).split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (parts.length) {
    const name = parts.shift()!;
    if (name === '..') { done.pop(); continue; }
    if (name === '.') continue;
    const host = root + '/' + [...done, name].join('/');
    let st;
    try { st = await lstat(host); } catch { done.push(name, ...parts); break; }
    if (st.isSymbolicLink() && (parts.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw new BerthError('invalid_argument', `too many levels of symbolic links in ${path}`);
      const target = await readlink(host);
      if (target.startsWith('/')) done.length = 0;
      parts = [...target.split('/').filter(Boolean), ...parts];
      continue;
    }
    done.push(name);
  }
  return root + (done.length ? '/' + done.join('/') : '');
}

/**
 * dockerd's SetupWorkingDirectory: a working directory the image lacks is made (root's, 0755) in
 * the rootfs before the process starts, rather than failing the chdir.
 */
export async function makeWorkingDir(root: string, dir: string): Promise<void> {
  if (!dir) return;
  const host = await resolveInRoot(root, dir, true);
  try {
    await mkdir(host, { recursive: true, mode: 0o755 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new BerthError('invalid_argument', `Cannot mkdir: ${posix.normalize(dir)} is not a directory`, { cause: e });
    throw e;
  }
}

function notFound(path: string, container: string): BerthError {
  return new BerthError('not_found', `Could not find the file ${path} in container ${container}`);
}

function modeOf(st: import('node:fs').Stats): number {
  // Go's os.FileMode bits, which docker cp's stat header carries.
  let m = st.mode & 0o777;
  if (st.isDirectory()) m |= 0x80000000;
  if (st.isSymbolicLink()) m |= 0x08000000;
  if (st.isFIFO()) m |= 0x02000000;
  if (st.isSocket()) m |= 0x01000000;
  if (st.isCharacterDevice()) m |= 0x04000000 | 0x00200000;
  if (st.isBlockDevice()) m |= 0x04000000;
  if (st.mode & 0o4000) m |= 0x00800000;
  if (st.mode & 0o2000) m |= 0x00400000;
  if (st.mode & 0o1000) m |= 0x00100000;
  return m >>> 0;
}

export async function statInRoot(root: string, path: string, container: string): Promise<PathStat> {
  const host = await resolveInRoot(root, path);
  let st;
  try { st = await lstat(host); } catch { throw notFound(path, container); }
  const linkTarget = st.isSymbolicLink() ? (await resolveInRoot(root, path, true)).slice(root.length) || '/' : '';
  return { name: posix.basename(posix.normalize('/' + path)) || '/', size: st.size, mode: modeOf(st), mtime: st.mtime.toISOString(), linkTarget };
}

function headerFor(name: string, st: import('node:fs').Stats, link?: string): TarHeaderInit {
  const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
  if (st.isDirectory()) return { ...base, type: 'directory' };
  if (st.isSymbolicLink()) return { ...base, type: 'symlink', linkname: link ?? '' };
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    return { ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: Number(BigInt(st.rdev) >> 8n & 0xfffn), devminor: st.rdev & 0xff };
  }
  if (st.isFIFO()) return { ...base, type: 'fifo' };
  return { ...base, type: 'file', size: st.size };
}

type Visit = (rel: string, host: string, st: import('node:fs').Stats) => Promise<boolean | void>;

/** Depth-first, sorted, never following symlinks. `visit` returning false skips a directory's contents. */
async function walk(host: string, rel: string, visit: Visit): Promise<void> {
  const st = await lstat(host);
  if ((await visit(rel, host, st)) === false) return;
  if (!st.isDirectory()) return;
  for (const name of (await readdir(host)).sort()) await walk(`${host}/${name}`, rel ? `${rel}/${name}` : name, visit);
}

/** The first name an archive gave each multiply linked file (by device and inode). */
type Links = Map<string, string>;

async function addEntry(w: TarWriter, name: string, host: string, st: import('node:fs').Stats, links: Links): Promise<void> {
  if (st.isSocket()) return;
  if (st.isFile() && st.nlink > 1) {
    // A hard link is written once: its other names are link entries, as Docker's archives have them
    // (busybox's 400 applets would otherwise be 400 copies of one 2 MB binary).
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first !== undefined) { await w.add({ ...headerFor(name, st), type: 'hardlink', size: 0, linkname: first }); return; }
    links.set(key, name);
  }
  const link = st.isSymbolicLink() ? await readlink(host) : undefined;
  const h = headerFor(st.isDirectory() ? `${name}/` : name, st, link);
  if (h.type === 'file') {
    await w.add(h, Readable.toWeb(createReadStream(host)) as unknown as ReadableStream<Uint8Array>);
  } else {
    await w.add(h);
  }
}

/** A tar of the tree at `host`, entries named under `prefix` ('' for the tree's contents). */
export function archiveTree(host: string, prefix: string, release: () => void = () => {}): ReadableStream<Uint8Array> {
  const w = new TarWriter();
  const links: Links = new Map();
  (async () => {
    await walk(host, prefix, async (rel, h, st) => {
      if (!rel) return; // the root itself (export) has no entry
      await addEntry(w, rel, h, st, links);
    });
    await w.finish();
  })().catch((e) => w.abort(e)).finally(release);
  return w.readable;
}

/** `docker cp C:path -`: the path itself under its base name. */
export function archivePath(root: string, path: string, release: () => void): ReadableStream<Uint8Array> {
  const w = new TarWriter();
  const links: Links = new Map();
  (async () => {
    const followLast = path.endsWith('/') || path.endsWith('/.');
    const host = await resolveInRoot(root, path, followLast);
    const base = posix.basename(posix.normalize('/' + path)) || '.';
    await walk(host, base, async (rel, h, st) => { await addEntry(w, rel, h, st, links); });
    await w.finish();
  })().catch((e) => w.abort(e)).finally(release);
  return w.readable;
}

/** `docker cp - C:dir`: extracts a tar into a directory of the rootfs. */
export async function extractInto(root: string, path: string, tar: ReadableStream<Uint8Array>, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean; container: string }): Promise<void> {
  const host = await resolveInRoot(root, path, true);
  let st;
  try { st = await lstat(host); } catch { throw notFound(path, opts.container); }
  if (!st.isDirectory()) throw new BerthError('invalid_argument', `extraction point is not a directory`);
  await mkdir(host, { recursive: true });
  await unpackLayer(tar, host, { whiteouts: 'apply', sameOwner: true });
}

function isWhiteout(st: import('node:fs').Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function isOpaque(host: string): boolean {
  try { return native().lgetxattr(host, 'trusted.overlay.opaque').toString() === 'y'; } catch { return false; }
}

async function existsInLowers(lowers: string[], rel: string): Promise<boolean> {
  for (const l of lowers) {
    try { await lstat(`${l}/${rel}`); return true; } catch { /* next */ }
  }
  return false;
}

/**
 * Mount points the runtime itself makes in the upper dir when the image lacks them. dockerd makes
 * them in an init layer below the container's, so diff and commit never show them.
 */
const INIT_PATHS = new Set(['.dockerenv', 'dev', 'proc', 'sys', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'etc/mtab']);
/** The directories above an init path ('etc'), worked out once rather than for every file diff and commit walk. */
const INIT_PARENTS = new Set([...INIT_PATHS].flatMap((p) => p.split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/'))));

/** An init mount point still empty, or a directory holding nothing else (the /etc they were made in). */
async function isInitStub(host: string, rel: string, st: import('node:fs').Stats): Promise<boolean> {
  if (INIT_PATHS.has(rel)) return st.isDirectory() ? (await readdir(host)).length === 0 : st.isFile() && st.size === 0;
  if (!st.isDirectory() || !INIT_PARENTS.has(rel)) return false;
  const names = await readdir(host);
  if (!names.length) return false;
  for (const n of names) {
    if (!INIT_PATHS.has(`${rel}/${n}`) || !(await isInitStub(`${host}/${n}`, `${rel}/${n}`, await lstat(`${host}/${n}`)))) return false;
  }
  return true;
}

/** `docker diff`: the upper dir against the image's layers (dockerd's overlay changes). */
export async function overlayChanges(upper: string, lowers: string[]): Promise<Change[]> {
  const out: Change[] = [];
  try { await lstat(upper); } catch { return out; }
  await walk(upper, '', async (rel, host, st) => {
    if (!rel) return;
    if (await isInitStub(host, rel, st)) return false;
    if (isWhiteout(st)) { out.push({ Path: `/${rel}`, Kind: 2 }); return false; }
    out.push({ Path: `/${rel}`, Kind: (await existsInLowers(lowers, rel)) ? 0 : 1 });
    if (st.isDirectory() && isOpaque(host)) {
      // Everything the lower layers had below an opaque dir is gone.
      return true;
    }
    return true;
  });
  return out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}

/** The upper dir as a layer tar: overlay whiteouts become `.wh.` files, opaque dirs `.wh..wh..opq`. */
export function upperAsLayer(upper: string): ReadableStream<Uint8Array> {
  const w = new TarWriter();
  const links: Links = new Map();
  (async () => {
    await walk(upper, '', async (rel, host, st) => {
      if (!rel) return;
      if (await isInitStub(host, rel, st)) return false;
      if (isWhiteout(st)) {
        const dir = posix.dirname(rel);
        await w.add({ name: `${dir === '.' ? '' : dir + '/'}.wh.${posix.basename(rel)}`, type: 'file', mode: 0o600, mtime: st.mtime }, new Uint8Array(0));
        return false;
      }
      await addEntry(w, rel, host, st, links);
      if (st.isDirectory() && isOpaque(host)) await w.add({ name: `${rel}/.wh..wh..opq`, type: 'file', mode: 0o600, mtime: st.mtime }, new Uint8Array(0));
      return true;
    });
    await w.finish();
  })().catch((e) => w.abort(e));
  return w.readable;
}

export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  const seen = new Set<string>();
  try {
    await walk(dir, '', async (_rel, _h, st) => {
      // A file's other hard links take no space of their own.
      if (!st.isFile() || (st.nlink > 1 && seen.has(`${st.dev}:${st.ino}`))) return;
      if (st.nlink > 1) seen.add(`${st.dev}:${st.ino}`);
      total += st.size;
    });
  } catch { /* gone */ }
  return total;
}
