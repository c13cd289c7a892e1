// `docker load` end to end: the archive's blobs go into the content store under a lease (so a
// concurrent gc leaves them alone), then each image is recorded. If the archive is bad nothing is
// recorded, and what was ingested is left for gc.
import type { Codecs, HashFactory } from '../host.ts';
import type { ImageRecord, ImageStore } from '../metadata/image-store.ts';
import { buildImageRecord } from '../metadata/image-record.ts';
import { familiarString, parseReference } from '../reference/reference.ts';
import { loadImageArchive, type LoadArchiveOptions } from './image-archive-load.ts';

export interface LoadResult {
  images: ImageRecord[];
  /** What Docker prints, in order: `Loaded image: busybox:latest`, `Loaded image ID: sha256:...`. */
  messages: string[];
}

export async function loadArchiveIntoStore(
  store: ImageStore, tar: ReadableStream<Uint8Array>, codecs: Codecs, hash: HashFactory, opts: LoadArchiveOptions = {},
): Promise<LoadResult> {
  const lease = await store.lease();
  try {
    const { images } = await loadImageArchive(tar, store.blobs, codecs, hash, opts);
    const records: ImageRecord[] = [];
    for (const img of images) {
      const init = { manifest: img.manifest, repoTags: img.repoTags, uncompressedSizes: img.layerSizes, ...(img.index ? { index: img.index } : {}) };
      records.push(await buildImageRecord(store.blobs, init));
    }
    const messages: string[] = [];
    const done: ImageRecord[] = [];
    for (const rec of records) {
      for (const tag of rec.repoTags) {
        const previous = await store.resolve(tag).catch(() => undefined);
        if (previous && previous.id !== rec.id && previous.repoTags.includes(tag)) {
          messages.push(`The image ${familiarString(parseReference(tag))} already exists, renaming the old one with ID ${previous.id} to empty string`);
        }
      }
      done.push(await store.put(rec));
      if (rec.repoTags.length === 0) messages.push(`Loaded image ID: ${rec.id}`);
      for (const tag of rec.repoTags) messages.push(`Loaded image: ${familiarString(parseReference(tag))}`);
    }
    return { images: done, messages };
  } finally {
    lease.release();
  }
}
