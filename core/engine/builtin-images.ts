// The images berth carries with it (busybox, hello-world, hello-wasm), kept as an OCI image
// layout: imported into the store at start-up and used when Docker Hub cannot be reached.
import type { Codecs, HashFactory } from '../host.ts';
import type { BlobReader } from '../content/blob-store.ts';
import type { Descriptor, Index } from '../image/types.ts';
import type { Image, ImageIndex } from '../image/image.ts';
import { LocalImage, LocalImageIndex } from '../image/local-image.ts';
import { parseManifestBytes } from '../image/parse.ts';
import { parseReference, referenceString, withDefaultTag, type Reference } from '../reference/reference.ts';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface BuiltinImages {
  /** Entries of the layout's index.json that name an image, by full reference (`docker.io/library/busybox:latest`). */
  list(): Promise<{ ref: string; descriptor: Descriptor }[]>;
  /** The layout's blobs, read-only and verified as they are read. */
  blobs: BlobReader;
}

/**
 * `list()` of a layout whose index.json `load` reads: read once, and again after a failure (a layout
 * that is not there yet lists no images).
 */
export function builtinList(load: () => Promise<Index>): BuiltinImages['list'] {
  let index: Promise<Index> | undefined;
  return async () => {
    index ??= load();
    let doc: Index;
    try { doc = await index; } catch { index = undefined; return []; }
    return (doc.manifests ?? [])
      .filter((d) => d.annotations?.[REF_NAME_ANNOTATION])
      .map((d) => ({ ref: d.annotations![REF_NAME_ANNOTATION]!, descriptor: d }));
  };
}

/** The built-in entry for `ref`, if berth carries it. */
export async function findBuiltin(builtin: BuiltinImages | undefined, ref: Reference): Promise<{ ref: string; descriptor: Descriptor } | undefined> {
  if (!builtin) return undefined;
  const want = referenceString(withDefaultTag(ref));
  for (const entry of await builtin.list()) {
    let full: string;
    try { full = referenceString(withDefaultTag(parseReference(entry.ref))); } catch { continue; }
    if (full === want || (ref.digest && entry.descriptor.digest === ref.digest && full.startsWith(`${ref.domain}/${ref.path}:`))) return entry;
  }
  return undefined;
}

/** What a built-in entry names: one image, or an index of them. */
export async function openBuiltin(builtin: BuiltinImages, descriptor: Descriptor, opts: { codecs: Codecs; hash: HashFactory }): Promise<Image | ImageIndex> {
  const raw = await builtin.blobs.readBytes(descriptor.digest);
  const parsed = parseManifestBytes(raw, descriptor.mediaType || undefined);
  const desc = { ...descriptor, mediaType: parsed.mediaType, size: raw.byteLength };
  return parsed.kind === 'index' ? LocalImageIndex.open(builtin.blobs, desc, opts) : LocalImage.open(builtin.blobs, desc, opts);
}
