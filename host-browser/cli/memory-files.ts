// Files for the browser CLI (~/.docker/config.json, `save -o`, `load -i`, what the shell's `cat >`
// writes, a build's context): a path -> bytes map, optionally mirrored into a Storage (the page's
// localStorage) so logins and text files survive a reload. Directories are only implied by paths.
import type { CliFiles } from '../../core/cli/host.ts';
import { collect } from '../../core/content/ingest.ts';

/** The part of the Web Storage API the files use (enumeration and removal where the storage has them). */
export interface TextStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem?(key: string): void;
  readonly length?: number;
  key?(index: number): string | null;
}

export interface MemoryFiles extends CliFiles {
  /** Every file's path, sorted. */
  list(): string[];
  /** A file's size and when it was last written; undefined when there is none. */
  stat(path: string): { size: number; mtime: Date } | undefined;
  /** Removes a file; nothing happens when there is none. */
  remove(path: string): void;
}

const PREFIX = 'berth.file:';

export function memoryFiles(storage?: TextStorage): MemoryFiles {
  const files = new Map<string, Uint8Array>();
  const mtimes = new Map<string, Date>();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const get = (path: string): Uint8Array | undefined => {
    const held = files.get(path);
    if (held) return held;
    const stored = storage?.getItem(PREFIX + path);
    return stored == null ? undefined : encoder.encode(stored);
  };
  const stored = (): string[] => {
    const keys: string[] = [];
    if (!storage?.key) return keys;
    for (let i = 0; i < (storage.length ?? 0); i++) {
      const k = storage.key(i);
      if (k?.startsWith(PREFIX)) keys.push(k.slice(PREFIX.length));
    }
    return keys;
  };
  const put = (path: string, data: Uint8Array) => {
    files.set(path, data);
    mtimes.set(path, new Date());
  };
  return {
    list: () => [...new Set([...files.keys(), ...stored()])].sort(),
    stat(path) {
      const data = get(path);
      // A file kept from an earlier page load has no time of its own.
      return data && { size: data.byteLength, mtime: mtimes.get(path) ?? new Date(0) };
    },
    remove(path) {
      files.delete(path);
      mtimes.delete(path);
      storage?.removeItem?.(PREFIX + path);
    },
    async readText(path) {
      const data = get(path);
      return data && decoder.decode(data);
    },
    async writeText(path, text) {
      put(path, encoder.encode(text));
      try { storage?.setItem(PREFIX + path, text); } catch { /* quota: the copy in memory still holds */ }
    },
    async openRead(path) {
      const data = get(path);
      if (!data) throw new Error(`open ${path}: no such file or directory`);
      return new ReadableStream({ start(c) { c.enqueue(data); c.close(); } });
    },
    async writeStream(path, data) {
      // Replaced only once the whole stream arrived, as on Linux.
      put(path, await collect(data));
      // A binary file is not mirrored: an older text of the same name must not come back after a reload.
      storage?.removeItem?.(PREFIX + path);
    },
  };
}
