// Uploads in progress as files under one directory, one per upload id. An append that fails
// midway is truncated back, so a broken PATCH leaves the upload as it was and the client can resume.
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { BerthError } from '../../core/errors.ts';
import type { UploadSpool } from '../../core/registry/upload-spool.ts';

function isEnoent(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

export class FsUploadSpool implements UploadSpool {
  private ready: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  private init(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).then(() => {});
    return this.ready;
  }

  private pathOf(id: string): string {
    // Ids come from URLs: only our own UUID shape may name a file.
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new BerthError('not_found', `upload ${id} not found`);
    return join(this.dir, id);
  }

  async create(id: string): Promise<void> {
    await this.init();
    const fh = await open(this.pathOf(id), 'wx');
    await fh.close();
  }

  async append(id: string, offset: number, data: ReadableStream<Uint8Array>): Promise<number> {
    const path = this.pathOf(id);
    let fh;
    try {
      fh = await open(path, 'r+');
    } catch (e) {
      await data.cancel().catch(() => {});
      if (isEnoent(e)) throw new BerthError('not_found', `upload ${id} not found`);
      throw e;
    }
    try {
      const { size } = await fh.stat();
      if (size !== offset) {
        await data.cancel().catch(() => {});
        throw new BerthError('conflict', `upload ${id} is at byte ${size}, not ${offset}`);
      }
      let pos = offset;
      try {
        const reader = data.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          let off = 0;
          while (off < value.byteLength) {
            const { bytesWritten } = await fh.write(value, off, value.byteLength - off, pos);
            off += bytesWritten;
            pos += bytesWritten;
          }
        }
      } catch (e) {
        await fh.truncate(offset).catch(() => {});
        throw e;
      }
      return pos;
    } finally {
      await fh.close();
    }
  }

  async size(id: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(id))).size;
    } catch (e) {
      if (isEnoent(e) || (e instanceof BerthError && e.code === 'not_found')) return undefined;
      throw e;
    }
  }

  async read(id: string): Promise<ReadableStream<Uint8Array>> {
    const path = this.pathOf(id);
    if ((await this.size(id)) === undefined) throw new BerthError('not_found', `upload ${id} not found`);
    return Readable.toWeb(createReadStream(path, { highWaterMark: 256 * 1024 })) as ReadableStream<Uint8Array>;
  }

  async delete(id: string): Promise<void> {
    let path: string;
    try { path = this.pathOf(id); } catch { return; }
    await rm(path, { force: true });
  }
}
