// The layers of an image as uncompressed tars, read from the content store through the image's
// manifest: what WasiRuntime builds a root filesystem from, the same way on every host.
import { BerthError } from '../errors.ts';
import type { ContainerImage } from '../engine/containers/runtime.ts';
import type { ImageService } from '../engine/image-service.ts';
import { parseManifestBytes } from '../image/parse.ts';
import { decompressStream } from '../layer/compression.ts';

export function imageLayerTars(images: ImageService): (image: ContainerImage) => Promise<AsyncIterable<ReadableStream<Uint8Array>>> {
  return async (image) => {
    const rec = await images.store.get(image.id);
    if (!rec) throw new BerthError('not_found', `the image ${image.id} of this container is gone: its layers cannot be read`);
    const parsed = parseManifestBytes(await images.opts.blobs.readBytes(rec.manifest.digest), rec.manifest.mediaType);
    if (parsed.kind !== 'manifest') throw new BerthError('invalid_manifest', `${rec.manifest.digest} is an index, not the image's manifest`);
    const layers = parsed.manifest.layers;
    // Opened one at a time, as they are applied.
    return (async function* () {
      for (const l of layers) yield await decompressStream(await images.opts.blobs.read(l.digest), images.opts.codecs);
    })();
  };
}
