// A file replaced whole or not at all: written under a temporary name beside it, then renamed over
// it, so a crash or a full disk leaves the old content, never a torn one. A failed write removes
// its temporary file: a full disk must not keep the space of a half-written copy.
import { open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';

export interface AtomicWriteOptions {
  /** The temporary name (beside `path`); by default `<path>.tmp-<pid>-<random>`. */
  tmp?: string;
  mode?: number;
  /** fsync before the rename: the new content is on disk before it replaces the old. */
  sync?: boolean;
}

export async function writeFileAtomic(path: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = options.tmp ?? `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const fh = await open(tmp, 'w', options.mode ?? 0o644);
    try {
      await fh.writeFile(data);
      if (options.sync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}
