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
  if (declared > limit) await discardBody(req);
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
      await drain(reader);
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

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    for (;;) if ((await reader.read()).done) return;
  } catch { /* the client went away: nothing left to discard */ }
}

/**
 * Reads a request body we will not use to its end. Cancelling instead would be cheaper, but Node's
 * stream adapter (Readable.toWeb, Node 20) then throws from its data handler and takes the process down.
 */
export async function discardBody(req: Request): Promise<void> {
  if (!req.body || req.bodyUsed || req.body.locked) return;
  await drain(req.body.getReader());
}
