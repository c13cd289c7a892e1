// What every handler of the registry server works with.
import type { BlobStore } from '../../content/blob-store.ts';
import type { HashFactory } from '../../host.ts';
import type { UploadSpool } from '../upload-spool.ts';
import type { RepoStore } from './repo-store.ts';
import { SpecError } from './spec-error.ts';

export interface ServerContext {
  blobs: BlobStore;
  hash: HashFactory;
  uploads: UploadSpool;
  repos: RepoStore;
  /** Runs `fn` with no other holder of `key` running (uploads, tag updates). */
  lock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export function keyedLock(): <T>(key: string, fn: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = tails.get(key) ?? Promise.resolve();
    const run = prev.catch(() => {}).then(fn);
    tails.set(key, run);
    try {
      return await run;
    } finally {
      if (tails.get(key) === run) tails.delete(key);
    }
  };
}

/** The request body, refusing more than `limit` bytes. */
export async function readBody(req: Request, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > limit) throw new SpecError(413, 'SIZE_INVALID', `${what} is too large`, `${declared} bytes, at most ${limit}`);
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > limit) {
      await reader.cancel().catch(() => {});
      throw new SpecError(413, 'SIZE_INVALID', `${what} is too large`, `more than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.byteLength; }
  return out;
}

export function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start(c) { c.close(); } });
}
