// Uploads in progress kept in memory: for the browser host and for tests.
import { BerthError } from '../errors.ts';
import type { UploadSpool } from './upload-spool.ts';

export class MemoryUploadSpool implements UploadSpool {
  private readonly uploads = new Map<string, Uint8Array[]>();

  async create(id: string): Promise<void> {
    if (this.uploads.has(id)) throw new BerthError('conflict', `upload ${id} already exists`);
    this.uploads.set(id, []);
  }

  async append(id: string, offset: number, data: ReadableStream<Uint8Array>): Promise<number> {
    const chunks = this.get(id);
    const size = total(chunks);
    if (offset !== size) {
      await data.cancel().catch(() => {});
      throw new BerthError('conflict', `upload ${id} is at byte ${size}, not ${offset}`);
    }
    const added: Uint8Array[] = [];
    const reader = data.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      added.push(value.slice());
    }
    // Only a complete append becomes visible, so a broken PATCH leaves the upload as it was.
    if (this.uploads.get(id) !== chunks) throw new BerthError('not_found', `upload ${id} was cancelled`);
    chunks.push(...added);
    return total(chunks);
  }

  async size(id: string): Promise<number | undefined> {
    const chunks = this.uploads.get(id);
    return chunks ? total(chunks) : undefined;
  }

  async read(id: string): Promise<ReadableStream<Uint8Array>> {
    const chunks = [...this.get(id)];
    return new ReadableStream({
      pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(next); else c.close();
      },
    });
  }

  async delete(id: string): Promise<void> {
    this.uploads.delete(id);
  }

  private get(id: string): Uint8Array[] {
    const chunks = this.uploads.get(id);
    if (!chunks) throw new BerthError('not_found', `upload ${id} not found`);
    return chunks;
  }
}

function total(chunks: Uint8Array[]): number {
  return chunks.reduce((n, c) => n + c.byteLength, 0);
}
