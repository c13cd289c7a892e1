// A build step's image: the parent's layers (plus the step's own, if it made one), its config and
// manifest written to the content store, and its record with the parent link the legacy cache walks.
// Layers are stored uncompressed, so a layer's digest is its diffID, as `docker commit` stores them.
import { BerthError } from '../errors.ts';
import type { Descriptor, ImageConfig } from '../image/types.ts';
import { LocalImage } from '../image/local-image.ts';
import { buildImageRecord } from '../metadata/image-record.ts';
import type { ImageRecord } from '../metadata/image-store.ts';
import type { ImageDeps } from '../engine/store-image.ts';
import { writeChildManifest } from '../engine/child-image.ts';
import { ingestBlob } from '../content/ingest.ts';
import { DOCKER_LAYER_UNCOMPRESSED } from '../layer/compression.ts';

/** The sha256 of a tar with no entries (two zero blocks). */
const EMPTY_TAR_DIGEST = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** An image as a build stage holds it between steps. */
export interface BuildImage {
  /** '' for scratch (nothing stored yet). */
  id: string;
  config: ImageConfig;
  /** The manifest's layer descriptors, one per diffID. */
  layers: Descriptor[];
}

export async function writeStepImage(deps: ImageDeps, parent: BuildImage, config: ImageConfig, layer?: Descriptor): Promise<BuildImage> {
  const layers = layer ? [...parent.layers, layer] : parent.layers;
  if (layers.length !== config.rootfs.diff_ids.length) {
    throw new BerthError('internal', `a build step's image has ${layers.length} layers for ${config.rootfs.diff_ids.length} diffIDs`);
  }
  const { manifest, id } = await writeChildManifest(deps, config, layers);
  let rec = await deps.store.get(id);
  // The same step again (SOURCE_DATE_EPOCH builds) is the same image: its first parent is kept.
  if (!rec) {
    rec = await buildImageRecord(deps.blobs, { manifest, ...(parent.id ? { parent: parent.id } : {}) });
    // The base's layers count with their unpacked sizes, as its own record has them.
    const base = parent.id ? await deps.store.get(parent.id) : undefined;
    if (base) rec.size = base.size + (layer?.size ?? 0);
    await deps.store.put(rec);
  }
  return { id: rec.id, config, layers };
}

/**
 * A step's layer tar into the content store and the snapshotter; undefined when it holds no entry (the
 * step changed no file: dockerd's empty_layer).
 */
export async function storeStepLayer(deps: ImageDeps, tar: ReadableStream<Uint8Array>): Promise<Descriptor | undefined> {
  const blob = await ingestBlob(deps.blobs, tar, deps.hash);
  if (blob.digest === EMPTY_TAR_DIGEST) return undefined;
  await deps.snapshotter.prepare(blob.digest, () => deps.blobs.read(blob.digest));
  return { mediaType: DOCKER_LAYER_UNCOMPRESSED, digest: blob.digest, size: blob.size };
}

/** A stored image as a stage's starting point. */
export async function loadBuildImage(deps: ImageDeps, rec: ImageRecord, config: ImageConfig): Promise<BuildImage> {
  const image = await LocalImage.open(deps.blobs, rec.manifest, deps);
  return { id: rec.id, config, layers: (await image.manifest()).layers };
}
