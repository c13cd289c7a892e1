// Brings an image from any source (a registry, an OCI layout, an archive) into the local store the
// way dockerd pulls: layers downloaded 3 at a time into the content store with progress, verified,
// unpacked in order through the snapshotter, then config and manifest, and the record last, so a
// failure at any point leaves the image store as it was.
import type { BlobStore } from '../content/blob-store.ts';
import type { Codecs, HashFactory } from '../host.ts';
import type { Descriptor, ImageConfig } from '../image/types.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import type { ImageRecord, ImageStore } from '../metadata/image-store.ts';
import { buildImageRecord } from '../metadata/image-record.ts';
import type { SourceImage } from './platform-image.ts';
import { parseImageConfig } from '../image/parse.ts';
import { compressionOfMediaType, decompressStream } from '../layer/compression.ts';
import { shortId } from '../digest.ts';
import type { ProgressSink } from './json-message.ts';
import { limiter, progressStream } from './progress.ts';
import { BerthError } from '../errors.ts';

export interface ImageDeps {
  store: ImageStore;
  blobs: BlobStore;
  snapshotter: Snapshotter;
  hash: HashFactory;
  codecs: Codecs;
}

export interface StoredContent {
  /** Docker's image ID: the config digest. */
  configDigest: string;
  config: ImageConfig;
  /** Unpacked size of each tar layer by diffID (summed, what `docker images` shows). */
  sizes: Map<string, number>;
  /** Whether any layer had to be fetched. */
  downloaded: boolean;
}

const DOWNLOAD_CONCURRENCY = 3;

/** Layers that are not tars (a wasm module) are kept as blobs and never unpacked. */
export function isTarLayer(mediaType: string): boolean {
  return compressionOfMediaType(mediaType) !== undefined || mediaType.includes('.tar') || mediaType.includes('rootfs.diff');
}

/**
 * Stores every blob of `src` and unpacks its layers. Emits dockerd's per-layer messages (`Pulling fs
 * layer`, `Waiting`, `Downloading`, `Verifying Checksum`, `Download complete`, `Extracting`, `Pull
 * complete`, `Already exists`). Writes no image record: the caller does that last.
 */
export async function storeImageContent(deps: ImageDeps, src: SourceImage, emit: ProgressSink): Promise<StoredContent> {
  const { blobs, snapshotter } = deps;
  const manifest = await src.image.manifest();
  const rawConfig = await src.image.rawConfigFile();
  const config = parseImageConfig(rawConfig);
  const diffIDs = config.rootfs.diff_ids;
  const layerDescs = manifest.layers;
  if (layerDescs.length !== diffIDs.length) {
    throw new BerthError('invalid_manifest', `image ${manifest.config.digest} is invalid: the manifest lists ${layerDescs.length} layers but the config has ${diffIDs.length} diff_ids`);
  }
  const layers = await src.image.layers();

  interface Plan { desc: Descriptor; diffID: string; id: string; tar: boolean; present: boolean; haveBlob: boolean }
  const plans: Plan[] = [];
  for (let i = 0; i < layerDescs.length; i++) {
    const desc = layerDescs[i]!;
    const diffID = diffIDs[i]!;
    const tar = isTarLayer(desc.mediaType);
    const haveBlob = (await blobs.info(desc.digest)) !== undefined;
    const present = haveBlob && (!tar || await snapshotter.has(diffID));
    plans.push({ desc, diffID, id: shortId(desc.digest), tar, present, haveBlob });
  }
  // A layer shared by two positions is reported once, as dockerd does.
  const seen = new Set<string>();
  for (const p of plans) {
    if (seen.has(p.id)) continue;
    seen.add(p.id);
    emit(p.present ? { status: 'Already exists', progressDetail: {}, id: p.id } : { status: 'Pulling fs layer', progressDetail: {}, id: p.id });
  }

  const limit = limiter(DOWNLOAD_CONCURRENCY);
  const downloads = new Map<string, Promise<void>>();
  const download = (p: Plan, index: number): Promise<void> => {
    let d = downloads.get(p.desc.digest);
    if (d) return d;
    d = p.haveBlob ? Promise.resolve() : limit.run(async () => {
      const layer = layers[index]!;
      await blobs.write({ digest: p.desc.digest, size: p.desc.size }, async () => {
        const stream = await layer.compressed();
        return stream.pipeThrough(progressStream(emit, 'Downloading', p.id, p.desc.size));
      });
      emit({ status: 'Verifying Checksum', progressDetail: {}, id: p.id });
      emit({ status: 'Download complete', progressDetail: {}, id: p.id });
    }, () => emit({ status: 'Waiting', progressDetail: {}, id: p.id }));
    downloads.set(p.desc.digest, d);
    // Extraction awaits these in order; a later one failing first must not go unhandled.
    d.catch(() => {});
    return d;
  };
  plans.forEach((p, i) => { if (!p.present) void download(p, i); });

  const sizes = new Map<string, number>();
  let downloaded = false;
  const done = new Set<string>();
  for (let i = 0; i < plans.length; i++) {
    const p = plans[i]!;
    if (!p.present) {
      downloaded = true;
      await download(p, i);
    }
    if (p.tar) {
      const info = await snapshotter.prepare(p.diffID, async () => {
        const compressed = (await blobs.read(p.desc.digest)).pipeThrough(progressStream(emit, 'Extracting', p.id, p.desc.size));
        return decompressStream(compressed, deps.codecs);
      });
      sizes.set(p.diffID, info.size);
    }
    if (!p.present && !done.has(p.id)) {
      done.add(p.id);
      emit({ status: 'Pull complete', progressDetail: {}, id: p.id });
    }
  }

  await blobs.write({ digest: manifest.config.digest, size: manifest.config.size }, rawConfig);
  await blobs.write({ digest: src.manifest.digest, size: src.manifest.size }, await src.image.rawManifest());
  if (src.index) await blobs.write({ digest: src.index.descriptor.digest, size: src.index.descriptor.size }, src.index.raw);
  return { configDigest: manifest.config.digest, config, sizes, downloaded };
}

/** Records stored content under `refs`: the last step of a pull or import, once every blob is in. */
export async function recordStoredImage(deps: ImageDeps, src: SourceImage, content: StoredContent, refs: { repoTags?: string[]; repoDigests?: string[] }): Promise<ImageRecord> {
  return deps.store.put(await buildImageRecord(deps.blobs, {
    manifest: src.manifest,
    ...(src.index ? { index: src.index.descriptor } : {}),
    ...refs,
    uncompressedSizes: content.sizes,
  }));
}
