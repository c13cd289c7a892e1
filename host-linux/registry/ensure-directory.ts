// Creates a directory and its missing parents one level at a time. Node's recursive mkdir loops
// forever (at full CPU) under /proc, where mkdir answers ENOENT for a parent that exists; going
// down from the deepest existing ancestor turns that into an error that names the directory.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { BerthError } from '../../core/errors.ts';

export async function ensureDirectory(path: string, mode?: number): Promise<void> {
  const missing: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    const st = await stat(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw cannotCreate(path, e);
    });
    if (st) {
      if (!st.isDirectory()) throw new BerthError('invalid_argument', `cannot create directory ${path}: ${p} exists and is not a directory`);
      break;
    }
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const dir of missing) {
    try {
      await mkdir(dir, mode === undefined ? undefined : { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotCreate(path, e as NodeJS.ErrnoException);
    }
  }
}

function cannotCreate(path: string, e: NodeJS.ErrnoException): BerthError {
  return new BerthError('invalid_argument', `cannot create directory ${path}: ${e.code === 'ENOENT' ? `${e.path ?? path} cannot be created here` : e.message}`, { cause: e });
}
