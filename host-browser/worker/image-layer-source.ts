// The guest runtime's LayerSource over the engine's content store: a layer by diffID is the blob
// the image's manifest lists at the same position as the diffID in its config. The guest unpacks
// plain and gzip tars; other compressions (zstd) are decompressed here.
import type { ImageService } from '../../core/engine/image-service.ts';
import { parseManifestBytes } from '../../core/image/parse.ts';
import { compressionOfMediaType, decompressStream } from '../../core/layer/compression.ts';
import { BerthError } from '../../core/errors.ts';
import type { LayerSource } from '../runtime/layer-source.ts';

export function imageLayerSource(images: ImageService): LayerSource {
  return {
    async open(diffID, image) {
      const rec = await images.store.get(image.id);
      if (!rec) throw new BerthError('not_found', `the image ${image.id} of this container is gone: its layers cannot be read`);
      const parsed = parseManifestBytes(await images.opts.blobs.readBytes(rec.manifest.digest), rec.manifest.mediaType);
      if (parsed.kind !== 'manifest') throw new BerthError('invalid_manifest', `${rec.manifest.digest} is an index, not the image's manifest`);
      const i = image.diffIDs.indexOf(diffID);
      const layer = parsed.manifest.layers[i];
      if (i < 0 || !layer) throw new BerthError('not_found', `layer ${diffID} is not in the image ${image.id}`);
      const blob = await images.opts.blobs.read(layer.digest);
      const compression = compressionOfMediaType(layer.mediaType);
      return compression === 'gzip' || compression === 'none' ? blob : decompressStream(blob, images.opts.codecs);
    },
  };
}
