// Streaming zstd decompression in plain JavaScript (fzstd), for hosts without a native zstd:
// Node 20's zlib has none, and neither do browsers.
import { Decompress } from 'fzstd';
import { BerthError } from '../errors.ts';

export function webZstdDecompress(): TransformStream<Uint8Array, Uint8Array> {
  let out: TransformStreamDefaultController<Uint8Array> | undefined;
  // fzstd hands out a fresh buffer per block, so chunks can be enqueued without copying.
  const d = new Decompress((chunk) => { if (chunk.byteLength) out!.enqueue(chunk); });
  const fail = (e: unknown): never => {
    throw new BerthError('invalid_layer', `invalid zstd data: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) { out = controller; },
    transform(chunk) {
      try { d.push(chunk); } catch (e) { fail(e); }
    },
    flush() {
      try { d.push(new Uint8Array(0), true); } catch (e) { fail(e); }
    },
  });
}
