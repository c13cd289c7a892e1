// An image's layers read from the content store through its manifest (core's LocalImage): as
// uncompressed tars, what WasiRuntime builds a root filesystem from, the same way on every host;
// and opened whole for the browser guest, which reads them by diffID.
import { BerthError } from '../errors.ts';
import type { ContainerImage } from '../engine/containers/runtime.ts';
import type { ImageService } from '../engine/image-service.ts';
import { LocalImage } from '../image/local-image.ts';
import { decompressStream } from '../layer/compression.ts';

/** The stored image a container runs. */
export async function storedImage(images: ImageService, image: ContainerImage): Promise<LocalImage> {
  const rec = await images.store.get(image.id);
  if (!rec) throw new BerthError('not_found', `the image ${image.id} of this container is gone: its layers cannot be read`);
  const { blobs, codecs, hash } = images.opts;
  return LocalImage.open(blobs, rec.manifest, { codecs, hash });
}

export function imageLayerTars(images: ImageService): (image: ContainerImage) => Promise<AsyncIterable<ReadableStream<Uint8Array>>> {
  return async (image) => {
    const layers = (await (await storedImage(images, image)).manifest()).layers;
    const { blobs, codecs } = images.opts;
    // Opened one at a time, as they are applied.
    return (async function* () {
      for (const l of layers) yield await decompressStream(await blobs.read(l.digest), codecs);
    })();
  };
}
