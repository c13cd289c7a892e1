// The playground's files seen as a local file system: `berth build .` packs its context from them
// (core's LocalTree), and relative paths everywhere (`save -o`, `load -i`, `--iidfile`, the shell's
// `cat >`) are taken from the shell's working directory. Directories are implied by the files' paths;
// the working directory and its parents always exist. No symlinks, no special files.
import type { CliFiles } from '../../core/cli/host.ts';
import type { LocalEntry, LocalTree } from '../../core/cli/build/local-tree.ts';
import { cleanPath } from '../../core/build/context/pattern-matcher.ts';
import type { MemoryFiles } from './memory-files.ts';

/** `path` made absolute against `cwd`, cleaned. */
export function absolutePath(cwd: string, path: string): string {
  return cleanPath(path.startsWith('/') ? path : `${cwd}/${path}`);
}

/** The files with relative paths resolved against `cwd`. */
export function filesIn(files: MemoryFiles, cwd: string): CliFiles {
  const abs = (p: string) => absolutePath(cwd, p);
  return {
    readText: (p) => files.readText(abs(p)),
    writeText: (p, text, mode) => files.writeText(abs(p), text, mode),
    // Errors name the path as it was given, as the OS's would.
    openRead: (p) => files.openRead(abs(p)).catch(() => { throw new Error(`open ${p}: no such file or directory`); }),
    writeStream: (p, data) => files.writeStream(abs(p), data),
  };
}

export function memoryTree(files: MemoryFiles, cwd: string): LocalTree {
  const isDir = (path: string): boolean => {
    if (path === '/' || cwd === path || cwd.startsWith(`${path}/`)) return true;
    const prefix = `${path}/`;
    return files.list().some((f) => f.startsWith(prefix));
  };
  const entry = (path: string): LocalEntry | undefined => {
    const st = files.stat(path);
    const base = { nlink: 1, inode: path, devmajor: 0, devminor: 0 };
    if (st) return { kind: 'file', mode: 0o644, size: st.size, mtime: st.mtime, ...base };
    // A directory that is only implied has no time of its own: the epoch, so a context's tar is the same each time.
    if (isDir(path)) return { kind: 'directory', mode: 0o755, size: 0, mtime: new Date(0), ...base };
    return undefined;
  };
  const missing = (op: string, path: string) => new Error(`${op} ${path}: no such file or directory`);
  return {
    absolute: (path) => absolutePath(cwd, path),
    async realpath(path) {
      const parts = path.split('/').filter(Boolean);
      for (let i = 1; i <= parts.length; i++) {
        const at = `/${parts.slice(0, i).join('/')}`;
        if (!entry(at)) throw missing('lstat', at);
        if (i < parts.length && !isDir(at)) throw new Error(`lstat ${path}: not a directory`);
      }
      return cleanPath(`/${path}`);
    },
    async lstat(path) {
      return entry(cleanPath(path));
    },
    async readdir(path) {
      const dir = cleanPath(path);
      if (files.stat(dir)) throw new Error(`open ${dir}: not a directory`);
      if (!isDir(dir)) throw missing('open', dir);
      const prefix = dir === '/' ? '/' : `${dir}/`;
      const names = new Set<string>();
      for (const f of files.list()) if (f.startsWith(prefix)) names.add(f.slice(prefix.length).split('/')[0]!);
      // The working directory's ancestors hold it even when empty.
      if (cwd.startsWith(prefix)) names.add(cwd.slice(prefix.length).split('/')[0]!);
      names.delete('');
      return [...names];
    },
    async readlink(path) {
      throw new Error(`readlink ${path}: invalid argument`);
    },
    async readable(path) {
      return files.stat(cleanPath(path)) !== undefined;
    },
    async open(path) {
      return files.openRead(cleanPath(path));
    },
    async remove(path) {
      files.remove(cleanPath(path));
    },
  };
}
