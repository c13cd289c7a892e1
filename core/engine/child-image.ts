// An image made here on top of another (`docker commit`, a build step): its config and a Docker
// schema 2 manifest listing the parent's layers and the new ones written to the content store.
import type { Descriptor, ImageConfig, Manifest } from '../image/types.ts';
import { MediaType } from '../image/media-types.ts';
import { digestBytes } from '../digest.ts';
import type { ImageDeps } from './store-image.ts';

const enc = new TextEncoder();

/** Writes the config and the manifest; returns the manifest's descriptor and the image ID (the config's digest). */
export async function writeChildManifest(deps: Pick<ImageDeps, 'blobs' | 'hash'>, config: ImageConfig, layers: readonly Descriptor[]): Promise<{ manifest: Descriptor; id: string }> {
  const configBytes = enc.encode(JSON.stringify(config));
  const configDesc = { mediaType: MediaType.DockerConfig, digest: digestBytes(deps.hash, configBytes), size: configBytes.length };
  await deps.blobs.write({ digest: configDesc.digest, size: configDesc.size }, configBytes);
  const manifest: Manifest = { schemaVersion: 2, mediaType: MediaType.DockerManifest, config: configDesc, layers: [...layers] };
  const manifestBytes = enc.encode(JSON.stringify(manifest));
  const manifestDesc = { mediaType: MediaType.DockerManifest, digest: digestBytes(deps.hash, manifestBytes), size: manifestBytes.length };
  await deps.blobs.write({ digest: manifestDesc.digest, size: manifestDesc.size }, manifestBytes);
  return { manifest: manifestDesc, id: configDesc.digest };
}
