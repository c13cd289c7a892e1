// Where an archive entry may land: every path is checked lexically and then resolved one component
// at a time with lstat, so nothing is ever created or changed outside the extraction root, not
// through `..`, an absolute name, or a symlink (one already on disk or one an earlier entry of the
// same archive made). The resolver is the only way the extractor turns entry names into real paths.
import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { BerthError } from '../../core/errors.ts';

/** Symlink hops allowed while resolving one path (Linux's own limit). */
const MAX_LINKS = 40;

export function unsafe(entry: string, why: string): BerthError {
  return new BerthError('unsafe_path', `refusing to extract layer entry ${JSON.stringify(entry)}: ${why}; nothing is written outside the target root`);
}

/**
 * The entry's path as components relative to the root ([] for the root itself). Absolute names and
 * any `..` component are refused outright: real layers never contain them.
 */
export function entryComponents(name: string, entry = name, what = 'its path'): string[] {
  if (name.startsWith('/')) throw unsafe(entry, `${what} ${JSON.stringify(name)} is absolute`);
  if (name.includes('\0')) throw unsafe(entry, `${what} contains a NUL byte`);
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw unsafe(entry, `${what} ${JSON.stringify(name)} contains ".." and could point outside the root`);
    out.push(c);
  }
  return out;
}

export function join(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/**
 * Resolves directories inside `root`, remembering which relative paths are known to be real
 * directories so the common case costs no system call.
 */
export class RootResolver {
  readonly root: string;
  #dirs = new Set<string>(['']);

  constructor(root: string) {
    this.root = root;
  }

  abs(rel: string): string {
    return rel ? `${this.root}/${rel}` : this.root;
  }

  /** Records that `rel` is now a real directory. */
  addDir(rel: string): void {
    this.#dirs.add(rel);
  }

  /** Forgets `rel` and everything below it (it was removed or replaced). */
  forget(rel: string): void {
    if (!this.#dirs.delete(rel)) return;
    const prefix = `${rel}/`;
    for (const d of this.#dirs) if (d.startsWith(prefix)) this.#dirs.delete(d);
  }

  /**
   * The real path (relative, without symlinks) of the directory `parts` names. Symlinks on the way
   * are followed only while they stay inside the root; missing directories are created (0755,
   * like Docker's extractor) when `create` is set, and otherwise the answer is undefined.
   */
  dir(parts: string[], entry: string, create: boolean): string | undefined {
    let cur = '';
    const todo = parts.slice().reverse(); // a stack: next component at the end
    let links = 0;
    while (todo.length) {
      const c = todo.pop()!;
      if (c === '..') {
        // Only symlink targets bring `..` here; `cur` has no symlinks, so its lexical parent is real.
        if (cur === '') throw unsafe(entry, 'a symlink on its path points above the root');
        const i = cur.lastIndexOf('/');
        cur = i >= 0 ? cur.slice(0, i) : '';
        continue;
      }
      const next = join(cur, c);
      if (this.#dirs.has(next)) { cur = next; continue; }
      const st = lstatSync(this.abs(next), { throwIfNoEntry: false });
      if (!st) {
        if (!create) return undefined;
        mkdirSync(this.abs(next), 0o755);
        this.#dirs.add(next);
        cur = next;
        continue;
      }
      if (st.isDirectory()) { this.#dirs.add(next); cur = next; continue; }
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw unsafe(entry, 'too many levels of symbolic links on its path');
        const target = readlinkSync(this.abs(next));
        if (target.startsWith('/')) {
          throw unsafe(entry, `it would be written through the symlink ${JSON.stringify(next)} -> ${JSON.stringify(target)}, which points outside the root`);
        }
        for (const t of target.split('/').reverse()) if (t !== '' && t !== '.') todo.push(t);
        continue;
      }
      throw new BerthError('invalid_layer', `cannot extract layer entry ${JSON.stringify(entry)}: ${JSON.stringify(next)} is not a directory`);
    }
    return cur;
  }
}
