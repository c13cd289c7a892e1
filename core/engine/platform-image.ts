// From what a reference names (one image, or an index of them, nested or not) to the one platform
// image to store, over any source behind core/image's interfaces: a registry (core/registry's
// RemoteImage), the built-in layout or the content store (LocalImage).
import type { Image, ImageIndex } from '../image/image.ts';
import type { Descriptor, Platform } from '../image/types.ts';
import { parsePlatform, selectManifest, WASI_WASM } from '../image/platform.ts';
import { isIndexMediaType } from '../image/media-types.ts';
import { BerthError, isNotFound } from '../errors.ts';

export interface SourceImage {
  image: Image;
  /** Descriptor of the platform manifest. */
  manifest: Descriptor;
  /**
   * The outermost index the manifest was selected from, with its bytes: the one a tag names, what
   * `Digest:` and RepoDigests show, and what `docker save` and push keep.
   */
  index?: { descriptor: Descriptor; raw: Uint8Array };
}

const MAX_DEPTH = 4;

function isIndex(x: Image | ImageIndex): x is ImageIndex {
  return 'indexManifest' in x;
}

async function describe(x: Image | ImageIndex): Promise<Descriptor> {
  const [mediaType, digest, size] = await Promise.all([x.mediaType(), x.digest(), x.size()]);
  return { mediaType, digest, size };
}

/** Follows indexes (nested ones too) down to the image for `platform`. */
export async function platformImage(found: Image | ImageIndex, platform: Platform): Promise<SourceImage> {
  let index: SourceImage['index'];
  let current = found;
  for (let depth = 0; isIndex(current); depth++) {
    if (depth >= MAX_DEPTH) {
      throw new BerthError('invalid_manifest', `image index ${index?.descriptor.digest} nests more than ${MAX_DEPTH} levels deep`);
    }
    index ??= { descriptor: await describe(current), raw: await current.rawManifest() };
    const chosen = selectManifest(await current.indexManifest(), platform);
    current = isIndexMediaType(chosen.mediaType) ? await current.imageIndex(chosen.digest) : await current.image(chosen.digest);
  }
  return { image: current, manifest: await describe(current), ...(index ? { index } : {}) };
}

/**
 * The image to pull: for `platform` when asked; else the host's, or a WebAssembly image when that
 * is all an index offers (hello-wasm pulls without --platform, as with Docker's wasm support).
 */
export async function choosePlatformImage(hostPlatform: Platform, found: Image | ImageIndex, platform?: string): Promise<SourceImage> {
  const want = platform ? parsePlatform(platform, hostPlatform) : hostPlatform;
  try {
    return await platformImage(found, want);
  } catch (e) {
    if (platform || !isNotFound(e)) throw e;
    try {
      return await platformImage(found, WASI_WASM);
    } catch {
      throw e;
    }
  }
}
