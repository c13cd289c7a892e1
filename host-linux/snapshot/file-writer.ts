// Writes regular files on libuv's thread pool, several at once: creating a file costs tens of
// microseconds of kernel time on a journaling file system, and overlapping those calls is most of
// what makes extraction fast. The extractor decides what may run concurrently; this class only
// tracks what is in flight per path, bounds it (files and buffered bytes), and keeps the first error.
import {
  close, constants, fchmod, fchown, futimes, open, write, writev,
} from 'node:fs';
import { promisify } from 'node:util';
import { BerthError } from '../../core/errors.ts';

const openP = promisify(open);
const writevP = (fd: number, chunks: Uint8Array[]) => new Promise<number>((resolve, reject) => {
  writev(fd, chunks, (e, n) => (e ? reject(e) : resolve(n)));
});
const writeP = (fd: number, c: Uint8Array, off = 0, len = c.byteLength) => new Promise<number>((resolve, reject) => {
  write(fd, c, off, len, null, (e, n) => (e ? reject(e) : resolve(n)));
});
const fchownP = promisify(fchown);
const fchmodP = promisify(fchmod);
const futimesP = promisify(futimes);
const closeP = promisify(close);

const OPEN_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface FileMeta {
  mode: number;
  /** Owner to set, or undefined to keep the creating process's. */
  owner?: { uid: number; gid: number };
  mtime: Date;
}

export class FileWriter {
  #pending = new Map<string, Promise<void>>();
  #bytes = 0;
  #maxFiles: number;
  #maxBytes: number;
  #waiters: (() => void)[] = [];
  #error: unknown;
  #failed = false;

  constructor(maxFiles = 32, maxBytes = 64 * 1024 * 1024) {
    this.#maxFiles = maxFiles;
    this.#maxBytes = maxBytes;
  }

  get size(): number { return this.#pending.size; }

  has(key: string): boolean { return this.#pending.has(key); }

  /** Throws the first failure of a background write. */
  check(): void {
    if (this.#failed) throw this.#error;
  }

  /**
   * Creates `abs` (which must not exist) with `chunks` as content, then owner, mode (after the
   * owner: chown clears setuid), mtime; `then` runs after the file is closed (xattrs). Resolves
   * once the write is under way; `wait`/`drain` tell when it is done.
   */
  async write(key: string, abs: string, chunks: Uint8Array[], size: number, meta: FileMeta, then?: () => void): Promise<void> {
    while (this.#pending.size >= this.#maxFiles || (this.#bytes > 0 && this.#bytes + size > this.#maxBytes)) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
      this.check();
    }
    this.check();
    this.#bytes += size;
    const task = writeFile(abs, chunks, size, meta).then(then).catch((e: unknown) => {
      if (this.#failed) return;
      this.#failed = true;
      this.#error = e instanceof BerthError ? e
        : new BerthError('internal', `failed to extract layer entry ${JSON.stringify(key)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }).finally(() => {
      this.#bytes -= size;
      if (this.#pending.get(key) === task) this.#pending.delete(key);
      this.#waiters.shift()?.();
    });
    this.#pending.set(key, task);
  }

  /** Waits for the write of `key`, if one is in flight. */
  async wait(key: string): Promise<void> {
    await this.#pending.get(key);
    this.check();
  }

  /** Waits for every write in flight. */
  async drain(): Promise<void> {
    while (this.#pending.size) await Promise.all(this.#pending.values());
    this.check();
  }
}

async function writeFile(abs: string, chunks: Uint8Array[], size: number, meta: FileMeta): Promise<void> {
  const fd = await openP(abs, OPEN_NEW, 0o600);
  try {
    if (chunks.length) {
      let n = chunks.length === 1 ? await writeP(fd, chunks[0]!) : await writevP(fd, chunks);
      // A short write (rare: signals, odd file systems): finish chunk by chunk.
      if (n < size) {
        for (const c of chunks) {
          if (n >= c.byteLength) { n -= c.byteLength; continue; }
          let off = n;
          n = 0;
          while (off < c.byteLength) off += await writeP(fd, c, off, c.byteLength - off);
        }
      }
    }
    if (meta.owner) await fchownP(fd, meta.owner.uid, meta.owner.gid);
    await fchmodP(fd, meta.mode);
    await futimesP(fd, meta.mtime, meta.mtime);
  } finally {
    await closeP(fd);
  }
}
