// The content store in the Origin Private File System: one file per blob under `<algorithm>/<hex>`.
// A blob is written under a temporary name in `ingest/`, verified, and only then moved to its
// digest's name, so a closed tab or a crash never leaves a blob under its digest with wrong content.
import type { BlobInfo, BlobSource, BlobStore, Expected } from '../../core/content/blob-store.ts';
import { SingleFlight } from '../../core/content/single-flight.ts';
import { writeOnce } from '../../core/content/write-once.ts';
import type { HashFactory } from '../../core/host.ts';
import { digestBytes, digestingStream, parseDigest, verifyingStream } from '../../core/digest.ts';
import { corruptedBlobError } from '../../core/content/corrupted.ts';
import { BerthError } from '../../core/errors.ts';
import { isNotFoundError, move, names, removeSettled } from './opfs.ts';

const ALGORITHMS = ['sha256', 'sha512'] as const;

export class OpfsBlobStore implements BlobStore {
  private readonly flights = new SingleFlight<string, BlobInfo>();
  private temp = 0;

  private constructor(
    private readonly dirs: Record<(typeof ALGORITHMS)[number], FileSystemDirectoryHandle>,
    private readonly ingestDir: FileSystemDirectoryHandle,
    private readonly hash: HashFactory,
  ) {}

  /** Opens (creating) the store in `root`; temporary files a crash left behind are removed. */
  static async open(root: FileSystemDirectoryHandle, hash: HashFactory): Promise<OpfsBlobStore> {
    const [sha256, sha512, ingestDir] = await Promise.all(
      [...ALGORITHMS, 'ingest'].map((n) => root.getDirectoryHandle(n, { create: true })));
    for (const name of await names(ingestDir!)) await ingestDir!.removeEntry(name).catch(() => {});
    return new OpfsBlobStore({ sha256: sha256!, sha512: sha512! }, ingestDir!, hash);
  }

  private async file(digest: string): Promise<File | undefined> {
    const { algorithm, hex } = parseDigest(digest);
    try {
      return await (await this.dirs[algorithm].getFileHandle(hex)).getFile();
    } catch (e) {
      if (isNotFoundError(e)) return undefined;
      throw e;
    }
  }

  private notFound(digest: string): BerthError {
    return new BerthError('not_found', `blob ${digest} not found in the content store`);
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    const f = await this.file(digest);
    return f ? { digest, size: f.size } : undefined;
  }

  async read(digest: string): Promise<ReadableStream<Uint8Array>> {
    const { algorithm } = parseDigest(digest);
    const f = await this.file(digest);
    if (!f) throw this.notFound(digest);
    const h = this.hash(algorithm);
    let n = 0;
    const check = () => this.checkIntegrity(digest, `${algorithm}:${h.digest()}`, n === f.size);
    return (f.stream() as ReadableStream<Uint8Array>).pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) { h.update(chunk); n += chunk.byteLength; c.enqueue(chunk); },
      async flush(c) { const err = await check(); if (err) c.error(err); },
    }));
  }

  async readBytes(digest: string): Promise<Uint8Array> {
    const { algorithm } = parseDigest(digest);
    const f = await this.file(digest);
    if (!f) throw this.notFound(digest);
    const bytes = new Uint8Array(await f.arrayBuffer());
    const err = await this.checkIntegrity(digest, digestBytes(this.hash, bytes, algorithm), true);
    if (err) throw err;
    return bytes;
  }

  /** A blob whose bytes no longer match its name is removed (pulling again then fetches it afresh). */
  private async checkIntegrity(digest: string, actual: string, sizeOk: boolean): Promise<BerthError | undefined> {
    if (actual === digest && sizeOk) return undefined;
    await this.delete(digest).catch(() => {});
    return corruptedBlobError(digest, actual);
  }

  async write(expected: Expected, source: BlobSource): Promise<BlobInfo> {
    const { algorithm, hex } = parseDigest(expected.digest);
    return writeOnce(this.flights, expected, () => this.info(expected.digest), async () => {
      const stream = source instanceof Uint8Array ? bytesStream(source) : await source();
      const check = verifyingStream(this.hash, expected.digest, expected.size);
      const { handle, size } = await this.writeTemp(stream.pipeThrough(check));
      await this.commit(handle, this.dirs[algorithm], hex);
      return { digest: expected.digest, size };
    });
  }

  async ingest(stream: ReadableStream<Uint8Array>): Promise<BlobInfo> {
    const d = digestingStream(this.hash, 'sha256');
    const { handle } = await this.writeTemp(stream.pipeThrough(d.stream));
    const { digest, size } = d.result();
    await this.flights.run(digest, async () => {
      if (await this.info(digest)) { await this.ingestDir.removeEntry(handle.name).catch(() => {}); return { digest, size }; }
      await this.commit(handle, this.dirs.sha256, parseDigest(digest).hex);
      return { digest, size };
    });
    return { digest, size };
  }

  /** Streams into a fresh file in `ingest/`; removes it when the stream (or its verification) fails. */
  private async writeTemp(stream: ReadableStream<Uint8Array>): Promise<{ handle: FileSystemFileHandle; size: number }> {
    const name = `${Date.now().toString(36)}-${(this.temp++).toString(36)}-${Math.random().toString(36).slice(2)}`;
    const handle = await this.ingestDir.getFileHandle(name, { create: true });
    let size = 0;
    try {
      const out = await handle.createWritable();
      const counted = stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) { size += chunk.byteLength; c.enqueue(chunk); },
      }));
      // pipeTo aborts the writable on a source error: nothing of a bad blob is ever committed.
      await counted.pipeTo(out as unknown as WritableStream<Uint8Array>);
      return { handle, size };
    } catch (e) {
      await removeSettled(this.ingestDir, name).catch(() => {});
      throw e;
    }
  }

  private async commit(handle: FileSystemFileHandle, dir: FileSystemDirectoryHandle, name: string): Promise<void> {
    try {
      await move(handle, dir, name);
    } catch (e) {
      await removeSettled(this.ingestDir, handle.name).catch(() => {});
      throw e;
    }
  }

  async delete(digest: string): Promise<void> {
    const { algorithm, hex } = parseDigest(digest);
    try {
      await this.dirs[algorithm].removeEntry(hex);
    } catch (e) {
      if (!isNotFoundError(e)) throw e;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    for (const algorithm of ALGORITHMS) {
      for (const hex of (await names(this.dirs[algorithm])).sort()) {
        const info = await this.info(`${algorithm}:${hex}`).catch(() => undefined);
        if (info) yield info;
      }
    }
  }
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  // A copy: the caller may reuse its buffer while the write is under way.
  const copy = bytes.slice();
  return new ReadableStream({ start(c) { c.enqueue(copy); c.close(); } });
}
