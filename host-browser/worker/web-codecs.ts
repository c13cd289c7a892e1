// core's Codecs from the web platform: gzip through Compression Streams (native in browsers and
// Node), zstd through core's fzstd decoder (no browser decodes zstd natively).
import type { Codecs } from '../../core/host.ts';
import { webZstdDecompress } from '../../core/layer/zstd.ts';

type Transform = TransformStream<Uint8Array, Uint8Array>;

export const webCodecs: Codecs = {
  gunzip: () => new DecompressionStream('gzip') as unknown as Transform,
  gzip: () => new CompressionStream('gzip') as unknown as Transform,
  unzstd: webZstdDecompress,
};
