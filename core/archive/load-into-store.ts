// `docker load` end to end: the archive's blobs go into the content store under a lease (so a
// concurrent gc leaves them alone), then each image is recorded. If the archive is bad nothing is
// recorded, and what was ingested is left for gc. A daemon hooks in before each record (to unpack
// the layers) and streams the messages as they come.
import type { Codecs, HashFactory } from '../host.ts';
import type { ImageRecord, ImageStore } from '../metadata/image-store.ts';
import { buildImageRecord } from '../metadata/image-record.ts';
import { familiarString, parseReference } from '../reference/reference.ts';
import { loadImageArchive, type LoadArchiveOptions, type LoadedImage } from './image-archive-load.ts';

export interface LoadResult {
  images: ImageRecord[];
  /** What Docker prints, in order: `Loaded image: busybox:latest`, `Loaded image ID: sha256:...`. */
  messages: string[];
}

export interface LoadIntoStoreOptions extends LoadArchiveOptions {
  /**
   * Runs for each image, in order, before it is recorded (a daemon unpacks its layers here). Sizes
   * by diffID it returns replace the tar sizes measured while loading.
   */
  prepare?: (image: LoadedImage) => Promise<ReadonlyMap<string, number> | void>;
  /** Each message as soon as it is known (the same lines `messages` collects). */
  onMessage?: (line: string) => void;
}

export async function loadArchiveIntoStore(
  store: ImageStore, tar: ReadableStream<Uint8Array>, codecs: Codecs, hash: HashFactory, opts: LoadIntoStoreOptions = {},
): Promise<LoadResult> {
  const lease = await store.lease();
  try {
    const { images } = await loadImageArchive(tar, store.blobs, codecs, hash, opts);
    const messages: string[] = [];
    const say = (line: string) => { messages.push(line); opts.onMessage?.(line); };
    const recordOf = (img: LoadedImage, sizes: ReadonlyMap<string, number>) => buildImageRecord(store.blobs, {
      manifest: img.manifest, repoTags: img.repoTags, uncompressedSizes: sizes, ...(img.index ? { index: img.index } : {}),
    });
    // Every record is built before any is stored, so an archive with one bad image records none.
    const records: ImageRecord[] = [];
    for (const img of images) records.push(await recordOf(img, img.layerSizes));
    const done: ImageRecord[] = [];
    for (const [i, img] of images.entries()) {
      const sizes = await opts.prepare?.(img);
      const rec = sizes ? await recordOf(img, sizes) : records[i]!;
      for (const tag of rec.repoTags) {
        const previous = await store.resolve(tag).catch(() => undefined);
        if (previous && previous.id !== rec.id && previous.repoTags.includes(tag)) {
          say(`The image ${familiarString(parseReference(tag))} already exists, renaming the old one with ID ${previous.id} to empty string`);
        }
      }
      done.push(await store.put(rec));
      if (rec.repoTags.length === 0) say(`Loaded image ID: ${rec.id}`);
      for (const tag of rec.repoTags) say(`Loaded image: ${familiarString(parseReference(tag))}`);
    }
    return { images: done, messages };
  } finally {
    lease.release();
  }
}
