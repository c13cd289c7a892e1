// The few Origin Private File System operations the stores need that TypeScript's DOM types lack
// (directory iteration, `move`), and the store's root directory.

interface IterableDirectory { keys(): AsyncIterable<string> }
interface MovableHandle { move(dir: FileSystemDirectoryHandle, name: string): Promise<void> }

/** The names in a directory. */
export async function names(dir: FileSystemDirectoryHandle): Promise<string[]> {
  const out: string[] = [];
  for await (const name of (dir as unknown as IterableDirectory).keys()) out.push(name);
  return out;
}

/** Renames a file into `dir` (Chromium's OPFS `move()`: atomic within the origin's file system). */
export async function move(handle: FileSystemFileHandle, dir: FileSystemDirectoryHandle, name: string): Promise<void> {
  const m = (handle as unknown as Partial<MovableHandle>).move;
  if (typeof m !== 'function') throw new Error('this browser cannot rename files in its private file system (FileSystemHandle.move); use a current Chromium or Firefox');
  await m.call(handle, dir, name);
}

/**
 * Removes `name` from `dir`, waiting out the lock of a writable that is still being aborted:
 * Chromium may release an aborted FileSystemWritableFileStream's lock a moment after `pipeTo`
 * rejects (seen once under load in CI), and a removal in that moment fails.
 */
export async function removeSettled(dir: FileSystemDirectoryHandle, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await dir.removeEntry(name);
      return;
    } catch (e) {
      if (isNotFoundError(e)) return;
      if (attempt >= 50) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export function isNotFoundError(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'NotFoundError';
}

/** `path` (slash-separated) under the origin's private file system, created when missing. */
export async function opfsDirectory(path: string): Promise<FileSystemDirectoryHandle> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) {
    throw new Error('this browser has no Origin Private File System (navigator.storage.getDirectory); berth needs it to keep images');
  }
  let dir = await navigator.storage.getDirectory();
  for (const part of path.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(part, { create: true });
  return dir;
}
