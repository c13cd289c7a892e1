// Layer compression, recognised by magic bytes: registries and archives sometimes label an
// uncompressed tar as gzip (and the reverse), so the media type is a hint, never the truth.
import type { Codecs } from '../host.ts';
import { BerthError } from '../errors.ts';
import { MediaType } from '../image/media-types.ts';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
// "BZh", a block-size digit, then the first block's magic "1AY&SY": all of it, because "BZh" alone
// could begin a file name in a plain tar.
const BZIP2_BLOCK = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];

function startsWith(head: Uint8Array, magic: number[]): boolean {
  if (head.byteLength < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (head[i] !== magic[i]) return false;
  return true;
}

/** Which compression the first bytes of a blob show; anything unrecognised is treated as a plain tar. */
export function detectCompression(head: Uint8Array): Compression {
  if (startsWith(head, GZIP)) return 'gzip';
  if (startsWith(head, ZSTD)) return 'zstd';
  return 'none';
}

function isBzip2(head: Uint8Array): boolean {
  return head.byteLength >= 10 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68
    && head[3]! >= 0x31 && head[3]! <= 0x39 && startsWith(head.subarray(4), BZIP2_BLOCK);
}

/** Enough bytes to tell every format above apart. */
const PEEK = 10;

/**
 * Reads just enough of `stream` to see its magic bytes and returns the decompressed tar stream.
 * Compressions Docker once allowed but berth does not read (xz, bzip2) get a clear error instead of
 * being parsed as a corrupt tar.
 */
export async function decompressStream(stream: ReadableStream<Uint8Array>, codecs: Codecs): Promise<ReadableStream<Uint8Array>> {
  const { head, rest } = await peek(stream, PEEK);
  if (startsWith(head, XZ)) throw new BerthError('unsupported', 'layer is compressed with xz, which berth cannot read: recompress it with gzip or zstd');
  if (isBzip2(head)) {
    throw new BerthError('unsupported', 'layer is compressed with bzip2, which berth cannot read: recompress it with gzip or zstd');
  }
  const compression = detectCompression(head);
  if (compression === 'gzip') return namingErrors(rest.pipeThrough(codecs.gunzip()), 'gzip');
  if (compression === 'zstd') return namingErrors(rest.pipeThrough(codecs.unzstd()), 'zstd');
  return rest;
}

/** Codec failures ("unexpected end of file") become invalid_layer errors that say which format. */
function namingErrors(stream: ReadableStream<Uint8Array>, format: string): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close(); else controller.enqueue(value);
      } catch (e) {
        controller.error(e instanceof BerthError ? e
          : new BerthError('invalid_layer', `invalid ${format} data in layer: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      }
    },
    cancel(reason) { return reader.cancel(reason); },
  }, { highWaterMark: 0 });
}

/** Compresses a tar stream; `none` passes it through. */
export function compressStream(stream: ReadableStream<Uint8Array>, compression: Compression, codecs: Codecs): ReadableStream<Uint8Array> {
  switch (compression) {
    case 'gzip': return stream.pipeThrough(codecs.gzip());
    case 'zstd':
      if (!codecs.zstd) throw new BerthError('unsupported', 'this host cannot write zstd: use gzip compression');
      return stream.pipeThrough(codecs.zstd());
    case 'none': return stream;
  }
}

/** The media type for a layer blob. Docker's schema 2 has no zstd type, so zstd is always OCI's. */
export function layerMediaType(compression: Compression, oci: boolean): string {
  if (oci || compression === 'zstd') {
    return compression === 'gzip' ? MediaType.OCILayerGzip : compression === 'zstd' ? MediaType.OCILayerZstd : MediaType.OCILayer;
  }
  return compression === 'gzip' ? MediaType.DockerLayer : DOCKER_LAYER_UNCOMPRESSED;
}

/** Docker's own type for an uncompressed layer (what `docker save` references and `docker push` can send). */
export const DOCKER_LAYER_UNCOMPRESSED = 'application/vnd.docker.image.rootfs.diff.tar';

/** The compression a layer media type claims (a hint: decompressStream checks the bytes). */
export function compressionOfMediaType(mediaType: string): Compression | undefined {
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip') || mediaType === MediaType.DockerLayer
    || mediaType === MediaType.DockerForeignLayer) return 'gzip';
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.tar.zstd')) return 'zstd';
  if (mediaType === MediaType.OCILayer || mediaType === DOCKER_LAYER_UNCOMPRESSED
    || mediaType === 'application/vnd.oci.image.layer.nondistributable.v1.tar') return 'none';
  return undefined;
}

/**
 * Splits off the first `n` bytes (fewer if the stream is shorter) without losing them: `rest`
 * yields the whole stream from its first byte.
 */
export async function peek(stream: ReadableStream<Uint8Array>, n: number): Promise<{ head: Uint8Array; rest: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const seen: Uint8Array[] = [];
  let have = 0;
  let ended = false;
  while (have < n) {
    const { done, value } = await reader.read();
    if (done) { ended = true; break; }
    if (value.byteLength === 0) continue;
    seen.push(value);
    have += value.byteLength;
  }
  const head = concat(seen, Math.min(have, n));
  let i = 0;
  const rest = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < seen.length) { controller.enqueue(seen[i++]!); return; }
      if (ended) { controller.close(); return; }
      const { done, value } = await reader.read();
      if (done) controller.close(); else controller.enqueue(value);
    },
    cancel(reason) { return reader.cancel(reason); },
  }, { highWaterMark: 0 });
  return { head, rest };
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    if (off >= n) break;
    const take = Math.min(c.byteLength, n - off);
    out.set(take === c.byteLength ? c : c.subarray(0, take), off);
    off += take;
  }
  return out;
}
