// The content store on disk: <root>/blobs/<alg>/<hex>, with writes staged in <root>/ingest/ on the
// same filesystem so that the final rename is atomic. A file at a final path is always complete and
// was verified when it was written; reads verify again, so corruption on disk is caught.
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BlobInfo, BlobSource, BlobStore, Expected } from '../../core/content/blob-store.ts';
import { SingleFlight } from '../../core/content/single-flight.ts';
import type { HashFactory, Hasher } from '../../core/host.ts';
import { parseDigest, type ParsedDigest } from '../../core/digest.ts';
import { BerthError } from '../../core/errors.ts';
import { corruptedBlobError } from '../../core/content/corrupted.ts';
import { writeOnce } from '../../core/content/write-once.ts';

const READ_CHUNK = 256 * 1024;
const ALGORITHMS = ['sha256', 'sha512'] as const;

function isEnoent(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

function blobNotFound(digest: string): BerthError {
  return new BerthError('not_found', `blob ${digest} not found in the content store`);
}

export class FsBlobStore implements BlobStore {
  readonly root: string;
  private readonly hash: HashFactory;
  private readonly flights = new SingleFlight<string, BlobInfo>();
  private ready: Promise<void> | undefined;

  constructor(root: string, hash: HashFactory) {
    this.root = root;
    this.hash = hash;
  }

  /** Opens (creating if needed) a store and removes what a crash left in ingest/. */
  static async open(root: string, hash: HashFactory): Promise<FsBlobStore> {
    const s = new FsBlobStore(root, hash);
    await s.init();
    return s;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      // Anything in ingest/ at open belongs to a write that never finished (this process has
      // started none yet), so it is garbage.
      await rm(this.ingestDir, { recursive: true, force: true });
      await mkdir(this.ingestDir, { recursive: true });
      for (const alg of ALGORITHMS) await mkdir(join(this.root, 'blobs', alg), { recursive: true });
    })();
    return this.ready;
  }

  private get ingestDir(): string {
    return join(this.root, 'ingest');
  }

  private pathOf(p: ParsedDigest): string {
    return join(this.root, 'blobs', p.algorithm, p.hex);
  }

  /** The path of a stored blob (for hosts that hand files to other tools); undefined if absent. */
  async path(digest: string): Promise<string | undefined> {
    return (await this.info(digest)) ? this.pathOf(parseDigest(digest)) : undefined;
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    const p = parseDigest(digest);
    await this.init();
    try {
      const st = await stat(this.pathOf(p));
      return { digest, size: st.size };
    } catch (e) {
      if (isEnoent(e)) return undefined;
      throw e;
    }
  }

  async read(digest: string): Promise<ReadableStream<Uint8Array>> {
    const p = parseDigest(digest);
    await this.init();
    const path = this.pathOf(p);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if (isEnoent(e)) throw blobNotFound(digest);
      throw e;
    }
    const size = (await fh.stat()).size;
    const h = this.hash(p.algorithm);
    let n = 0;
    let closed = false;
    const close = async () => { if (!closed) { closed = true; await fh.close(); } };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const buf = new Uint8Array(READ_CHUNK);
          const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
          if (bytesRead > 0) {
            const chunk = buf.subarray(0, bytesRead);
            h.update(chunk);
            n += bytesRead;
            controller.enqueue(chunk);
            return;
          }
          await close();
          const err = await this.checkIntegrity(digest, p, h, n, size);
          if (err) controller.error(err);
          else controller.close();
        } catch (e) {
          await close().catch(() => {});
          controller.error(e);
        }
      },
      cancel: async () => { await close(); },
    }, { highWaterMark: 0 });
  }

  async readBytes(digest: string): Promise<Uint8Array> {
    const p = parseDigest(digest);
    await this.init();
    let fh: FileHandle;
    try {
      fh = await open(this.pathOf(p), 'r');
    } catch (e) {
      if (isEnoent(e)) throw blobNotFound(digest);
      throw e;
    }
    let bytes: Uint8Array;
    let size: number;
    try {
      size = (await fh.stat()).size;
      bytes = new Uint8Array(await fh.readFile());
    } finally {
      await fh.close();
    }
    const h = this.hash(p.algorithm);
    h.update(bytes);
    const err = await this.checkIntegrity(digest, p, h, bytes.byteLength, size);
    if (err) throw err;
    return bytes;
  }

  /**
   * A blob whose bytes no longer match its name is removed, so that pulling the image again
   * fetches it afresh instead of finding the broken copy "already present".
   */
  private async checkIntegrity(digest: string, p: ParsedDigest, h: Hasher, n: number, size: number): Promise<BerthError | undefined> {
    const actual = `${p.algorithm}:${h.digest()}`;
    if (actual === digest && n === size) return undefined;
    await unlink(this.pathOf(p)).catch(() => {});
    return corruptedBlobError(digest, actual);
  }

  async write(expected: Expected, source: BlobSource): Promise<BlobInfo> {
    const p = parseDigest(expected.digest);
    await this.init();
    return writeOnce(this.flights, expected, () => this.info(expected.digest), () => this.transfer(p, expected, source));
  }

  private async transfer(p: ParsedDigest, expected: Expected, source: BlobSource): Promise<BlobInfo> {
    const tmp = this.tempPath(p.hex);
    const h = this.hash(p.algorithm);
    let n = 0;
    const fh = await open(tmp, 'wx');
    let ok = false;
    try {
      if (source instanceof Uint8Array) {
        if (expected.size !== undefined && source.byteLength !== expected.size) {
          throw sizeMismatch(expected.digest, expected.size, source.byteLength);
        }
        h.update(source);
        n = source.byteLength;
        await writeAll(fh, source);
      } else {
        const reader = (await source()).getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            n += value.byteLength;
            if (expected.size !== undefined && n > expected.size) {
              throw new BerthError('digest_mismatch', `content for ${expected.digest} is longer than its declared size ${expected.size}`);
            }
            h.update(value);
            await writeAll(fh, value);
          }
        } catch (e) {
          await reader.cancel(e).catch(() => {});
          throw e;
        }
        if (expected.size !== undefined && n !== expected.size) {
          throw new BerthError('digest_mismatch', `content for ${expected.digest} is truncated: got ${n} of ${expected.size} bytes`);
        }
      }
      const actual = `${p.algorithm}:${h.digest()}`;
      if (actual !== expected.digest) {
        throw new BerthError('digest_mismatch', `digest mismatch: expected ${expected.digest}, got ${actual}`);
      }
      await fh.sync();
      ok = true;
    } finally {
      await fh.close();
      if (!ok) await unlink(tmp).catch(() => {});
    }
    await this.commit(tmp, this.pathOf(p));
    return { digest: expected.digest, size: n };
  }

  async ingest(stream: ReadableStream<Uint8Array>): Promise<BlobInfo> {
    await this.init();
    const tmp = this.tempPath('unknown');
    const h = this.hash('sha256');
    let n = 0;
    const fh = await open(tmp, 'wx');
    let ok = false;
    const reader = stream.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        h.update(value);
        n += value.byteLength;
        await writeAll(fh, value);
      }
      await fh.sync();
      ok = true;
    } catch (e) {
      await reader.cancel(e).catch(() => {});
      throw e;
    } finally {
      await fh.close();
      if (!ok) await unlink(tmp).catch(() => {});
    }
    const digest = `sha256:${h.digest()}`;
    // Shares the flight with concurrent writes of the same digest so a blob is committed once.
    return this.flights.run(digest, async () => {
      const present = await this.info(digest);
      if (present) {
        await unlink(tmp).catch(() => {});
        return present;
      }
      await this.commit(tmp, this.pathOf(parseDigest(digest)));
      return { digest, size: n };
    });
  }

  async delete(digest: string): Promise<void> {
    const p = parseDigest(digest);
    await this.init();
    try {
      await unlink(this.pathOf(p));
    } catch (e) {
      if (!isEnoent(e)) throw e;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    await this.init();
    for (const alg of ALGORITHMS) {
      const dir = join(this.root, 'blobs', alg);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        if (isEnoent(e)) continue;
        throw e;
      }
      for (const hex of names.sort()) {
        const digest = `${alg}:${hex}`;
        try { parseDigest(digest); } catch { continue; }
        try {
          const st = await stat(join(dir, hex));
          yield { digest, size: st.size };
        } catch (e) {
          if (!isEnoent(e)) throw e; // deleted meanwhile
        }
      }
    }
  }

  private tempPath(tag: string): string {
    return join(this.ingestDir, `${tag}.${process.pid}.${randomBytes(6).toString('hex')}`);
  }

  /** rename is atomic; fsyncing the directory makes the new name itself survive a crash. */
  private async commit(tmp: string, final: string): Promise<void> {
    await rename(tmp, final);
    const dir = await open(join(final, '..'), 'r');
    try { await dir.sync(); } finally { await dir.close(); }
  }
}

function sizeMismatch(digest: string, expected: number, actual: number): BerthError {
  return new BerthError('digest_mismatch', `size mismatch for ${digest}: expected ${expected} bytes, got ${actual}`);
}

async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.byteLength) {
    const { bytesWritten } = await fh.write(data, off, data.byteLength - off);
    off += bytesWritten;
  }
}
