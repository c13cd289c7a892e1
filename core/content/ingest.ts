// Storing a stream of unknown digest on any BlobStore: stores that can hash while writing do so;
// others get the bytes buffered once, hashed, and written as a verified blob.
import type { HashFactory } from '../host.ts';
import type { BlobInfo, BlobStore } from './blob-store.ts';
import { digestBytes } from '../digest.ts';

export async function ingestBlob(store: BlobStore, stream: ReadableStream<Uint8Array>, hash: HashFactory): Promise<BlobInfo> {
  if (store.ingest) return store.ingest(stream);
  const bytes = await collect(stream);
  return store.write({ digest: digestBytes(hash, bytes), size: bytes.byteLength }, bytes);
}

export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.byteLength;
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.byteLength; }
  return out;
}
