// What `berth build` reads of the local file system to send a directory as the build context: the
// host lists, stats and opens files (symlinks never followed); core walks and packs them as the docker
// CLI does, so the same rules hold on every host that has local files.

export type LocalEntryKind = 'file' | 'directory' | 'symlink' | 'fifo' | 'character-device' | 'block-device' | 'socket';

export interface LocalEntry {
  kind: LocalEntryKind;
  /** Permission bits with setuid, setgid and sticky (0o7777). */
  mode: number;
  size: number;
  mtime: Date;
  /** Links to the inode; above 1 a later name of the same `inode` becomes a tar hard link. */
  nlink: number;
  /** Identifies the inode on its device (`dev:ino`). */
  inode: string;
  devmajor: number;
  devminor: number;
}

export interface LocalTree {
  /** filepath.Abs: the path made absolute against the working directory, cleaned. */
  absolute(path: string): string;
  /** filepath.EvalSymlinks of an absolute path; throws Go's wording (`lstat /a/b: no such file or directory`). */
  realpath(path: string): Promise<string>;
  /** What is at `path` itself (lstat); undefined when nothing is. Other failures throw Go's wording. */
  lstat(path: string): Promise<LocalEntry | undefined>;
  /** The names in a directory, in any order. */
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  /** Whether the file can be opened for reading (the context check before anything is sent). */
  readable(path: string): Promise<boolean>;
  /** The file's bytes, streamed. */
  open(path: string): Promise<ReadableStream<Uint8Array>>;
  /** Removes a file; nothing happens when there is none (`--iidfile` clears a stale ID first). */
  remove(path: string): Promise<void>;
}

/** Joins a directory and a relative name with `/`. */
export function joinLocal(dir: string, rel: string): string {
  if (rel === '' || rel === '.') return dir;
  return dir.endsWith('/') ? dir + rel : `${dir}/${rel}`;
}
