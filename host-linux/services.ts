// Node implementations of core's host services.
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { Duplex } from 'node:stream';
import type { Codecs, HashFactory } from '../core/host.ts';
import { webZstdDecompress } from '../core/layer/zstd.ts';

/** OpenSSL's SHA-256 (SHA-NI where the CPU has it): several times faster than a wasm hash. */
export const nodeHash: HashFactory = (algorithm) => {
  const h = createHash(algorithm);
  return { update: (d) => { h.update(d); }, digest: () => h.digest('hex') };
};

function nodeTransform(t: Duplex): TransformStream<Uint8Array, Uint8Array> {
  return Duplex.toWeb(t) as unknown as TransformStream<Uint8Array, Uint8Array>;
}

export const nodeCodecs: Codecs = {
  gunzip: () => nodeTransform(zlib.createGunzip({ chunkSize: 256 * 1024 })),
  gzip: () => nodeTransform(zlib.createGzip({ level: 6 })),
  unzstd: webZstdDecompress,
};
