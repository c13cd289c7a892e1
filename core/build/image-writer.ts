// A build step's image: the parent's layers (plus the step's own, if it made one), its config and
// manifest written to the content store, and its record with the parent link the legacy cache walks.
// Layers are stored uncompressed, so a layer's digest is its diffID, as `docker commit` stores them.
import { BerthError } from '../errors.ts';
import type { Descriptor, ImageConfig, Manifest } from '../image/types.ts';
import { MediaType } from '../image/media-types.ts';
import { digestBytes } from '../digest.ts';
import { parseManifestBytes } from '../image/parse.ts';
import { buildImageRecord } from '../metadata/image-record.ts';
import type { ImageRecord } from '../metadata/image-store.ts';
import type { ImageDeps } from '../engine/store-image.ts';

export const LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

/** The sha256 of a tar with no entries (two zero blocks): a step that changed no file. */
export const EMPTY_TAR_DIGEST = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** An image as a build stage holds it between steps. */
export interface BuildImage {
  /** '' for scratch (nothing stored yet). */
  id: string;
  config: ImageConfig;
  /** The manifest's layer descriptors, one per diffID. */
  layers: Descriptor[];
}

const enc = new TextEncoder();

export async function writeStepImage(deps: ImageDeps, parent: BuildImage, config: ImageConfig, layer?: Descriptor): Promise<BuildImage> {
  const layers = layer ? [...parent.layers, layer] : parent.layers;
  if (layers.length !== config.rootfs.diff_ids.length) {
    throw new BerthError('internal', `a build step's image has ${layers.length} layers for ${config.rootfs.diff_ids.length} diffIDs`);
  }
  const configBytes = enc.encode(JSON.stringify(config));
  const configDesc = { mediaType: MediaType.DockerConfig, digest: digestBytes(deps.hash, configBytes), size: configBytes.length };
  await deps.blobs.write({ digest: configDesc.digest, size: configDesc.size }, configBytes);
  const manifest: Manifest = { schemaVersion: 2, mediaType: MediaType.DockerManifest, config: configDesc, layers };
  const manifestBytes = enc.encode(JSON.stringify(manifest));
  const manifestDesc = { mediaType: MediaType.DockerManifest, digest: digestBytes(deps.hash, manifestBytes), size: manifestBytes.length };
  await deps.blobs.write({ digest: manifestDesc.digest, size: manifestDesc.size }, manifestBytes);
  const existing = await deps.store.get(configDesc.digest);
  let rec: ImageRecord;
  if (existing) {
    rec = existing; // the same step again (SOURCE_DATE_EPOCH builds): one image, its first parent kept
  } else {
    rec = await buildImageRecord(deps.blobs, { manifest: manifestDesc, ...(parent.id ? { parent: parent.id } : {}) });
    // The base's layers count with their unpacked sizes, as its own record has them.
    const base = parent.id ? await deps.store.get(parent.id) : undefined;
    if (base) rec.size = base.size + (layer?.size ?? 0);
    await deps.store.put(rec);
  }
  return { id: rec.id, config, layers };
}

/** A stored image as a stage's starting point. */
export async function loadBuildImage(deps: ImageDeps, rec: ImageRecord, config: ImageConfig): Promise<BuildImage> {
  const parsed = parseManifestBytes(await deps.blobs.readBytes(rec.manifest.digest), rec.manifest.mediaType);
  if (parsed.kind !== 'manifest') throw new BerthError('invalid_manifest', `the manifest of ${rec.id} is not a platform manifest`);
  return { id: rec.id, config, layers: [...(parsed.manifest as Manifest).layers] };
}
