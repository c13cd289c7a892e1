// Brings an image from any source (a registry, an OCI layout, an archive) into the local store the
// way dockerd pulls, with its progress messages: layers 3 at a time, each unpacked while it
// downloads (core/engine/layer-store.ts; overlay-form whiteouts make the layers independent, so
// their order does not matter), then config and manifest, and the record last, so a failure at
// any point leaves the image store as it was.
import type { BlobStore } from '../content/blob-store.ts';
import type { Codecs, HashFactory } from '../host.ts';
import type { ImageConfig } from '../image/types.ts';
import type { Layer } from '../image/image.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import type { ImageRecord, ImageStore } from '../metadata/image-store.ts';
import { buildImageRecord } from '../metadata/image-record.ts';
import type { SourceImage } from './platform-image.ts';
import { parseImageConfig } from '../image/parse.ts';
import { compressionOfMediaType } from '../layer/compression.ts';
import { shortId } from '../digest.ts';
import type { ProgressSink } from './json-message.ts';
import { limiter } from './progress.ts';
import { storeLayer, type LayerPlan } from './layer-store.ts';
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
}

/** Layers fetched and unpacked at once: dockerd's max-concurrent-downloads. */
const LAYER_CONCURRENCY = 3;

// Concurrent pulls of one layer share the work: two streams of the same layer into one store would
// otherwise each wait on the other's half-finished blob or snapshot.
const inFlight = new WeakMap<BlobStore, Map<string, Promise<number | undefined>>>();

function sharedLayerWork(deps: ImageDeps, key: string, work: () => Promise<number | undefined>): Promise<number | undefined> {
  let flights = inFlight.get(deps.blobs);
  if (!flights) inFlight.set(deps.blobs, flights = new Map());
  let p = flights.get(key);
  if (!p) {
    p = work().finally(() => flights.delete(key));
    flights.set(key, p);
  }
  return p;
}

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

  const plans: LayerPlan[] = await Promise.all(layerDescs.map(async (desc, i) => {
    const diffID = diffIDs[i]!;
    const tar = isTarLayer(desc.mediaType);
    const [haveBlob, haveSnapshot] = await Promise.all([
      blobs.info(desc.digest).then((b) => b !== undefined), tar ? snapshotter.has(diffID) : Promise.resolve(false),
    ]);
    return { desc, diffID, id: shortId(desc.digest), tar, haveBlob, haveSnapshot };
  }));
  const present = (p: LayerPlan) => p.haveBlob && (!p.tar || p.haveSnapshot);
  // A layer shared by two positions is stored and reported once, as dockerd does.
  const unique = new Map<string, { plan: LayerPlan; layer: Layer }>();
  plans.forEach((plan, i) => {
    const key = `${plan.desc.digest} ${plan.diffID}`;
    if (!unique.has(key)) unique.set(key, { plan, layer: layers[i]! });
  });
  const reported = new Set<string>();
  for (const { plan: p } of unique.values()) {
    if (reported.has(p.id)) continue;
    reported.add(p.id);
    emit(present(p) ? { status: 'Already exists', progressDetail: {}, id: p.id } : { status: 'Pulling fs layer', progressDetail: {}, id: p.id });
  }

  const limit = limiter(LAYER_CONCURRENCY);
  const failed = new AbortController();
  const sizes = new Map<string, number>();
  const results = await Promise.allSettled([...unique].map(async ([key, { plan: p, layer }]) => {
    try {
      const run = () => sharedLayerWork(deps, key, () => storeLayer(deps, layer, p, emit, failed.signal));
      const size = present(p) ? await run() : await limit.run(run, () => emit({ status: 'Waiting', progressDetail: {}, id: p.id }));
      if (size !== undefined) sizes.set(p.diffID, size);
      if (!present(p)) emit({ status: 'Pull complete', progressDetail: {}, id: p.id });
    } catch (e) {
      // The first failure stops the other layers; they all settle before the pull reports it.
      if (!failed.signal.aborted) failed.abort(e);
      throw e;
    }
  }));
  if (results.some((r) => r.status === 'rejected')) throw failed.signal.reason;

  await blobs.write({ digest: manifest.config.digest, size: manifest.config.size }, rawConfig);
  await blobs.write({ digest: src.manifest.digest, size: src.manifest.size }, await src.image.rawManifest());
  if (src.index) await blobs.write({ digest: src.index.descriptor.digest, size: src.index.descriptor.size }, src.index.raw);
  return { configDigest: manifest.config.digest, config, sizes };
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
