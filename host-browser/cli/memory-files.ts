// Files for the browser CLI (~/.docker/config.json, `save -o`, `load -i`): a path -> bytes map,
// optionally mirrored into a Storage (the page's localStorage) so logins survive a reload.
import type { CliFiles } from '../../core/cli/host.ts';
import { collect } from '../../core/content/ingest.ts';

/** The part of the Web Storage API the files use. */
export interface TextStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const PREFIX = 'berth.file:';

export function memoryFiles(storage?: TextStorage): CliFiles & { list(): string[] } {
  const files = new Map<string, Uint8Array>();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const get = (path: string): Uint8Array | undefined => {
    const held = files.get(path);
    if (held) return held;
    const stored = storage?.getItem(PREFIX + path);
    return stored == null ? undefined : encoder.encode(stored);
  };
  return {
    list: () => [...files.keys()].sort(),
    async readText(path) {
      const data = get(path);
      return data && decoder.decode(data);
    },
    async writeText(path, text) {
      files.set(path, encoder.encode(text));
      try { storage?.setItem(PREFIX + path, text); } catch { /* quota: the copy in memory still holds */ }
    },
    async openRead(path) {
      const data = get(path);
      if (!data) throw new Error(`open ${path}: no such file or directory`);
      return new ReadableStream({ start(c) { c.enqueue(data); c.close(); } });
    },
    async writeStream(path, data) {
      // Replaced only once the whole stream arrived, as on Linux.
      files.set(path, await collect(data));
    },
  };
}
