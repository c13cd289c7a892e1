// A layer blob made from tar entries, compressed reproducibly: node's gzip writes no name and a zero mtime in
// its header, so with a fixed level the same tar always gives the same blob (and digest).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { packTar, type TarEntry } from 'modern-tar';
import { MediaType } from '../../core/image/media-types.ts';
import type { Descriptor } from '../../core/image/types.ts';

export interface LayerBlob {
  /** Descriptor of the compressed blob as a manifest lists it. */
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar, for the config's rootfs.diff_ids. */
  diffID: string;
  /** The gzip-compressed tar. */
  data: Uint8Array;
}

export function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Level 9 costs little on the few MB of the built-in images and makes them smaller to ship and pull. */
export async function gzipLayer(entries: TarEntry[], level = 9): Promise<LayerBlob> {
  const tar = await packTar(entries);
  return layerFromTar(tar, level);
}

export function layerFromTar(tar: Uint8Array, level = 9): LayerBlob {
  const data = new Uint8Array(gzipSync(tar, { level }));
  return {
    descriptor: { mediaType: MediaType.OCILayerGzip, digest: sha256(data), size: data.byteLength },
    diffID: sha256(tar),
    data,
  };
}
