// From a manifest-or-index to the one platform image to store, with any source of manifests and
// blobs: a registry, an OCI layout directory, an archive.
import type { Codecs } from '../host.ts';
import type { Descriptor, Platform } from '../image/types.ts';
import { parseManifestBytes } from '../image/parse.ts';
import { selectManifest } from '../image/platform.ts';
import { ManifestImage, type OpenBlob } from './manifest-image.ts';
import type { SourceImage } from './store-image.ts';

export interface ManifestSource {
  /** The manifest or index bytes for a descriptor (already verified by the source). */
  manifest(desc: Descriptor): Promise<{ bytes: Uint8Array; mediaType: string }>;
  blob: OpenBlob;
}

/** Follows indexes (nested ones too) down to the manifest for `platform`. */
export async function resolvePlatformImage(source: ManifestSource, top: Descriptor, topBytes: Uint8Array, platform: Platform, codecs: Codecs): Promise<SourceImage> {
  let desc = top;
  let bytes = topBytes;
  let index: SourceImage['index'];
  for (let depth = 0; depth < 4; depth++) {
    const parsed = parseManifestBytes(bytes, desc.mediaType);
    if (parsed.kind === 'manifest') {
      const d: Descriptor = { mediaType: parsed.mediaType, digest: desc.digest, size: bytes.byteLength };
      return { image: new ManifestImage(d, bytes, parsed.manifest, source.blob, codecs), manifest: d, ...(index ? { index } : {}) };
    }
    // The outermost index is the one a tag names; it is what `Digest:` and RepoDigests show.
    index ??= { descriptor: { mediaType: parsed.mediaType, digest: desc.digest, size: bytes.byteLength }, raw: bytes };
    const chosen = selectManifest(parsed.index, platform);
    const next = await source.manifest(chosen);
    desc = { ...chosen, mediaType: next.mediaType || chosen.mediaType };
    bytes = next.bytes;
  }
  throw new Error(`image index ${top.digest} nests more than 4 levels deep`);
}
