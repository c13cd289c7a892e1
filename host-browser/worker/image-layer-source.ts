// The guest runtime's LayerSource over the engine's content store: a layer by diffID is the blob
// the image's manifest lists at the same position as the diffID in its config. The guest unpacks
// plain and gzip tars; other compressions (zstd) are decompressed here.
import type { ImageService } from '../../core/engine/image-service.ts';
import { compressionOfMediaType, decompressStream } from '../../core/layer/compression.ts';
import { storedImage } from '../../core/wasi/image-layers.ts';
import type { LayerSource } from '../runtime/layer-source.ts';

export function imageLayerSource(images: ImageService): LayerSource {
  return {
    async open(diffID, image) {
      const layer = await (await storedImage(images, image)).layerByDiffID(diffID);
      const blob = await layer.compressed();
      const compression = compressionOfMediaType(layer.descriptor.mediaType);
      return compression === 'gzip' || compression === 'none' ? blob : decompressStream(blob, images.opts.codecs);
    },
  };
}
