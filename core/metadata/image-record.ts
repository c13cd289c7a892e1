// Building an image record from what is in the content store, so every writer of images (pull,
// load, build, the built-in images) records them the same way.
import type { BlobStore } from '../content/blob-store.ts';
import type { Descriptor, Platform } from '../image/types.ts';
import { parseImageConfig, parseManifestBytes } from '../image/parse.ts';
import { BerthError } from '../errors.ts';
import { ZERO_TIME, type ImageRecord } from './image-store.ts';

export interface ImageRecordInit {
  /** The platform manifest (must be in the store, with its config). */
  manifest: Descriptor;
  index?: Descriptor;
  repoTags?: string[];
  repoDigests?: string[];
  parent?: string;
  /** Uncompressed sizes by diffID where known (the tar size); compressed sizes are used otherwise. */
  uncompressedSizes?: ReadonlyMap<string, number>;
}

export async function buildImageRecord(blobs: BlobStore, init: ImageRecordInit): Promise<ImageRecord> {
  const parsed = parseManifestBytes(await blobs.readBytes(init.manifest.digest), init.manifest.mediaType);
  if (parsed.kind !== 'manifest') {
    throw new BerthError('invalid_manifest', `${init.manifest.digest} is an index; an image record needs a platform manifest`);
  }
  const m = parsed.manifest;
  const config = parseImageConfig(await blobs.readBytes(m.config.digest));
  const diffIDs = config.rootfs.diff_ids;
  let size = 0;
  m.layers.forEach((l, i) => {
    const known = diffIDs[i] !== undefined ? init.uncompressedSizes?.get(diffIDs[i]!) : undefined;
    size += known ?? l.size;
  });
  const platform: Platform = { architecture: config.architecture, os: config.os };
  if (config.variant) platform.variant = config.variant;
  if (config['os.version']) platform['os.version'] = config['os.version'];
  const rec: ImageRecord = {
    id: m.config.digest,
    manifest: { mediaType: parsed.mediaType, digest: init.manifest.digest, size: init.manifest.size },
    repoTags: init.repoTags ?? [],
    repoDigests: init.repoDigests ?? [],
    created: config.created ?? ZERO_TIME,
    size,
    platform,
  };
  if (init.index) rec.index = init.index;
  if (init.parent) rec.parent = init.parent;
  return rec;
}
