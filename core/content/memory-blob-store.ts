// The content store in memory, with the same contract as the one on disk (verified writes, shared
// concurrent writes, verified reads). Used by the browser host until it has OPFS, and by tests.
import type { BlobInfo, BlobSource, BlobStore, Expected } from './blob-store.ts';
import { SingleFlight } from './single-flight.ts';
import type { HashFactory } from '../host.ts';
import { parseDigest } from '../digest.ts';
import { BerthError } from '../errors.ts';
import { collect } from './ingest.ts';
import { corruptedBlobError } from './corrupted.ts';
import { checkSize, writeOnce } from './write-once.ts';

export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly flights = new SingleFlight<string, BlobInfo>();
  private readonly hash: HashFactory;

  constructor(hash: HashFactory) {
    this.hash = hash;
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    parseDigest(digest);
    const b = this.blobs.get(digest);
    return b ? { digest, size: b.byteLength } : undefined;
  }

  async read(digest: string): Promise<ReadableStream<Uint8Array>> {
    const bytes = await this.readBytes(digest);
    return new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } });
  }

  async readBytes(digest: string): Promise<Uint8Array> {
    const { algorithm } = parseDigest(digest);
    const b = this.blobs.get(digest);
    if (!b) throw new BerthError('not_found', `blob ${digest} not found in the content store`);
    const h = this.hash(algorithm);
    h.update(b);
    const actual = `${algorithm}:${h.digest()}`;
    if (actual !== digest) {
      this.blobs.delete(digest);
      throw corruptedBlobError(digest, actual);
    }
    return b.slice();
  }

  async write(expected: Expected, source: BlobSource): Promise<BlobInfo> {
    const { algorithm } = parseDigest(expected.digest);
    return writeOnce(this.flights, expected, () => this.info(expected.digest), async () => {
      // Copy: the caller may reuse its buffer, and the store must not change under us.
      const bytes = source instanceof Uint8Array ? source.slice() : await collect(await source());
      checkSize(expected, { digest: expected.digest, size: bytes.byteLength });
      const h = this.hash(algorithm);
      h.update(bytes);
      const actual = `${algorithm}:${h.digest()}`;
      if (actual !== expected.digest) {
        throw new BerthError('digest_mismatch', `digest mismatch: expected ${expected.digest}, got ${actual}`);
      }
      this.blobs.set(expected.digest, bytes);
      return { digest: expected.digest, size: bytes.byteLength };
    });
  }

  async ingest(stream: ReadableStream<Uint8Array>): Promise<BlobInfo> {
    const bytes = await collect(stream);
    const h = this.hash('sha256');
    h.update(bytes);
    const digest = `sha256:${h.digest()}`;
    if (!this.blobs.has(digest)) this.blobs.set(digest, bytes.slice());
    return { digest, size: bytes.byteLength };
  }

  async delete(digest: string): Promise<void> {
    parseDigest(digest);
    this.blobs.delete(digest);
  }

  async *list(): AsyncIterable<BlobInfo> {
    for (const [digest, b] of [...this.blobs].sort(([a], [b]) => (a < b ? -1 : 1))) yield { digest, size: b.byteLength };
  }
}
