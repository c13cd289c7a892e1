// Streaming tar writer producing POSIX ustar with PAX extensions, the format Go's archive/tar (and
// so Docker) writes: GNU tar, bsdtar, Docker, containerd and skopeo all read it.
import { BerthError } from '../errors.ts';
import { END_OF_ARCHIVE, bodyPadding, encodeHeader, type TarHeaderInit } from './tar-header.ts';

export type { TarHeaderInit } from './tar-header.ts';

export type TarBody = Uint8Array | string | ReadableStream<Uint8Array>;

const utf8 = new TextEncoder();

/**
 * Entries go in with `add`, bytes come out of `readable`; `add` waits while the reader lags
 * (backpressure), so a whole layer is never held in memory.
 */
export class TarWriter {
  readonly readable: ReadableStream<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #busy = false;
  #finished = false;

  constructor(highWaterMark = 1024 * 1024) {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(
      undefined, { highWaterMark, size: (c) => c.byteLength }, { highWaterMark, size: (c) => c.byteLength },
    );
    this.readable = readable;
    this.#writer = writable.getWriter();
  }

  /** Writes one entry. A file's size is taken from a byte body, or from `header.size` for a stream. */
  async add(header: TarHeaderInit, body?: TarBody): Promise<void> {
    if (this.#finished) throw new Error('TarWriter: add after finish');
    if (this.#busy) throw new Error('TarWriter: add while the previous entry is still being written');
    this.#busy = true;
    try {
      const type = header.type ?? 'file';
      const bytes = typeof body === 'string' ? utf8.encode(body) : body;
      let size = 0;
      if (type === 'file') {
        size = bytes instanceof Uint8Array ? bytes.byteLength : header.size ?? 0;
        if (bytes instanceof Uint8Array && header.size !== undefined && header.size !== size) {
          throw new BerthError('invalid_argument', `tar entry ${JSON.stringify(header.name)}: size ${header.size} does not match its ${size}-byte body`);
        }
        if (bytes === undefined && size !== 0) {
          throw new BerthError('invalid_argument', `tar entry ${JSON.stringify(header.name)}: size ${size} but no body`);
        }
      } else if (bytes !== undefined && !(bytes instanceof Uint8Array && bytes.byteLength === 0)) {
        throw new BerthError('invalid_argument', `tar entry ${JSON.stringify(header.name)} of type ${type} cannot have a body`);
      }
      for (const block of encodeHeader({ ...header, type, size })) await this.#write(block);
      if (bytes instanceof Uint8Array) {
        if (bytes.byteLength) await this.#write(bytes);
      } else if (bytes) {
        let n = 0;
        const reader = bytes.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          n += value.byteLength;
          if (n > size) {
            await reader.cancel();
            throw new BerthError('invalid_argument', `tar entry ${JSON.stringify(header.name)}: body is longer than its size ${size}`);
          }
          await this.#write(value);
        }
        if (n !== size) throw new BerthError('invalid_argument', `tar entry ${JSON.stringify(header.name)}: body has ${n} bytes, header says ${size}`);
      }
      const p = bodyPadding(size);
      if (p) await this.#write(END_OF_ARCHIVE.subarray(0, p));
    } catch (e) {
      this.abort(e);
      throw e;
    } finally {
      this.#busy = false;
    }
  }

  /** Writes the end-of-archive blocks and closes the stream. */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    await this.#write(END_OF_ARCHIVE);
    await this.#writer.close();
  }

  /** Ends the stream with an error (the reader sees it). */
  abort(reason: unknown): void {
    this.#finished = true;
    this.#writer.abort(reason).catch(() => {});
  }

  async #write(chunk: Uint8Array): Promise<void> {
    await this.#writer.ready;
    // Not awaiting the write itself keeps headers and bodies flowing; `ready` is the backpressure.
    this.#writer.write(chunk).catch(() => {});
  }
}

export interface TarInput {
  header: TarHeaderInit;
  body?: TarBody;
}

/** A whole archive from a list of entries, as a stream. */
export function tarStream(entries: Iterable<TarInput> | AsyncIterable<TarInput>): ReadableStream<Uint8Array> {
  const w = new TarWriter();
  (async () => {
    for await (const e of entries) await w.add(e.header, e.body);
    await w.finish();
  })().catch((e) => w.abort(e));
  return w.readable;
}

/** A whole archive in memory (tests, small generated layers). */
export async function packTar(entries: Iterable<TarInput> | AsyncIterable<TarInput>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await new Response(tarStream(entries)).arrayBuffer());
}
