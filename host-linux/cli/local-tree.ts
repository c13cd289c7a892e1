// The Node side of `berth build`'s context: lstat, readdir, readlink and reads of local files, with
// Go's error wording (the docker CLI's messages quote os errors), and realpath as filepath.EvalSymlinks.
import { constants } from 'node:fs';
import { access, lstat, open as openFile, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { LocalEntry, LocalEntryKind, LocalTree } from '../../core/cli/build/local-tree.ts';
import { devNumbers } from '../runtime/host-devices.ts';

const WHY: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links', EISDIR: 'is a directory',
};

function goError(op: string, path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return new Error(`${op} ${path}: ${WHY[code] ?? (e as Error).message}`);
}

function kindOf(st: import('node:fs').Stats): LocalEntryKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'socket';
}

/** The first component of `path` that lstat cannot find, as EvalSymlinks reports it. */
async function firstMissing(path: string): Promise<string> {
  const parts = path.split('/').filter(Boolean);
  let at = '';
  for (const p of parts) {
    at += `/${p}`;
    try {
      await lstat(at);
    } catch {
      return at;
    }
  }
  return path;
}

export const nodeLocalTree: LocalTree = {
  absolute: (path) => resolve(path),
  async realpath(path) {
    try {
      return await realpath(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw goError('lstat', await firstMissing(path), e);
      throw goError('lstat', path, e);
    }
  },
  async lstat(path): Promise<LocalEntry | undefined> {
    let st;
    try {
      st = await lstat(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw goError('lstat', path, e);
    }
    const dev = devNumbers(BigInt(st.rdev));
    return {
      kind: kindOf(st), mode: st.mode & 0o7777, size: st.size, mtime: st.mtime, nlink: st.nlink,
      inode: `${st.dev}:${st.ino}`, devmajor: dev.major, devminor: dev.minor,
    };
  },
  async readdir(path) {
    try {
      return await readdir(path);
    } catch (e) {
      throw goError('open', path, e);
    }
  },
  async readlink(path) {
    try {
      return await readlink(path);
    } catch (e) {
      throw goError('readlink', path, e);
    }
  },
  async readable(path) {
    try {
      await access(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
  async open(path) {
    // Opened here, once, so a file that cannot be read fails with Go's wording before its stream is used.
    let file;
    try {
      file = await openFile(path);
    } catch (e) {
      throw goError('open', path, e);
    }
    return Readable.toWeb(file.createReadStream()) as unknown as ReadableStream<Uint8Array>;
  },
  async remove(path) {
    try {
      await rm(path, { force: true });
    } catch (e) {
      throw goError('remove', path, e);
    }
  },
};
