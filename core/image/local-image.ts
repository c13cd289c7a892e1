// Images held in the local content store, behind the same Image/ImageIndex interfaces as a registry
// or an archive, and `writeImage`, which copies any Image into a store verifying every blob.
import type { Codecs, HashFactory } from '../host.ts';
import type { BlobReader, BlobStore } from '../content/blob-store.ts';
import type { Image, ImageIndex, Layer } from './image.ts';
import type { Descriptor, ImageConfig, Index, Manifest } from './types.ts';
import { parseImageConfig, parseManifestBytes } from './parse.ts';
import { MediaType } from './media-types.ts';
import { decompressStream } from '../layer/compression.ts';
import { verifyingStream } from '../digest.ts';
import { BerthError } from '../errors.ts';

export interface LocalImageOptions {
  codecs: Codecs;
  hash: HashFactory;
}

type Ref = string | Descriptor;

async function describe(blobs: BlobReader, ref: Ref, raw: Uint8Array): Promise<Descriptor> {
  if (typeof ref !== 'string') return ref;
  const info = await blobs.info(ref);
  return { mediaType: '', digest: ref, size: info?.size ?? raw.byteLength };
}

export class LocalLayer implements Layer {
  constructor(
    private readonly blobs: BlobReader,
    readonly descriptor: Descriptor,
    private readonly diff: string,
    private readonly opts: LocalImageOptions,
  ) {}

  async digest(): Promise<string> { return this.descriptor.digest; }
  async diffID(): Promise<string> { return this.diff; }
  async size(): Promise<number> { return this.descriptor.size; }
  async mediaType(): Promise<string> { return this.descriptor.mediaType; }
  compressed(): Promise<ReadableStream<Uint8Array>> { return this.blobs.read(this.descriptor.digest); }

  /** The tar, checked against the diffID as it streams. */
  async uncompressed(): Promise<ReadableStream<Uint8Array>> {
    const tar = await decompressStream(await this.compressed(), this.opts.codecs);
    if (this.diff === this.descriptor.digest) return tar;
    return tar.pipeThrough(verifyingStream(this.opts.hash, this.diff));
  }
}

export class LocalImage implements Image {
  private configCache: ImageConfig | undefined;
  private rawConfigCache: Uint8Array | undefined;

  private constructor(
    private readonly blobs: BlobReader,
    readonly descriptor: Descriptor,
    private readonly raw: Uint8Array,
    private readonly parsed: Manifest,
    private readonly opts: LocalImageOptions,
  ) {}

  /** The image whose manifest is the blob `ref` (a digest, or a descriptor that also gives the media type). */
  static async open(blobs: BlobReader, ref: Ref, opts: LocalImageOptions): Promise<LocalImage> {
    const digest = typeof ref === 'string' ? ref : ref.digest;
    const raw = await blobs.readBytes(digest);
    const parsed = parseManifestBytes(raw, typeof ref === 'string' ? undefined : ref.mediaType);
    if (parsed.kind !== 'manifest') {
      throw new BerthError('invalid_manifest', `${digest} is an image index, not an image manifest`);
    }
    const desc = await describe(blobs, ref, raw);
    return new LocalImage(blobs, { ...desc, mediaType: parsed.mediaType, size: raw.byteLength }, raw, parsed.manifest, opts);
  }

  async mediaType(): Promise<string> { return this.descriptor.mediaType; }
  async size(): Promise<number> { return this.raw.byteLength; }
  async digest(): Promise<string> { return this.descriptor.digest; }
  async manifest(): Promise<Manifest> { return structuredClone(this.parsed); }
  async rawManifest(): Promise<Uint8Array> { return this.raw.slice(); }
  async configName(): Promise<string> { return this.parsed.config.digest; }

  async rawConfigFile(): Promise<Uint8Array> {
    this.rawConfigCache ??= await this.blobs.readBytes(this.parsed.config.digest);
    return this.rawConfigCache.slice();
  }

  async configFile(): Promise<ImageConfig> {
    this.configCache ??= parseImageConfig(await this.rawConfigFile());
    return structuredClone(this.configCache);
  }

  async layers(): Promise<LocalLayer[]> {
    const config = await this.configFile();
    const diffIDs = config.rootfs.diff_ids;
    if (diffIDs.length !== this.parsed.layers.length) {
      throw new BerthError('invalid_manifest',
        `image ${this.descriptor.digest} has ${this.parsed.layers.length} layers but its config lists ${diffIDs.length} diff_ids`);
    }
    return this.parsed.layers.map((d, i) => new LocalLayer(this.blobs, d, diffIDs[i]!, this.opts));
  }

  async layerByDigest(digest: string): Promise<LocalLayer> {
    const l = (await this.layers()).find((x) => x.descriptor.digest === digest);
    if (!l) throw new BerthError('not_found', `image ${this.descriptor.digest} has no layer ${digest}`);
    return l;
  }

  async layerByDiffID(diffID: string): Promise<LocalLayer> {
    for (const l of await this.layers()) if ((await l.diffID()) === diffID) return l;
    throw new BerthError('not_found', `image ${this.descriptor.digest} has no layer with diffID ${diffID}`);
  }
}

export class LocalImageIndex implements ImageIndex {
  private constructor(
    private readonly blobs: BlobReader,
    readonly descriptor: Descriptor,
    private readonly raw: Uint8Array,
    private readonly parsed: Index,
    private readonly opts: LocalImageOptions,
  ) {}

  static async open(blobs: BlobReader, ref: Ref, opts: LocalImageOptions): Promise<LocalImageIndex> {
    const digest = typeof ref === 'string' ? ref : ref.digest;
    const raw = await blobs.readBytes(digest);
    const parsed = parseManifestBytes(raw, typeof ref === 'string' ? undefined : ref.mediaType);
    if (parsed.kind !== 'index') throw new BerthError('invalid_manifest', `${digest} is an image manifest, not an index`);
    const desc = await describe(blobs, ref, raw);
    return new LocalImageIndex(blobs, { ...desc, mediaType: parsed.mediaType, size: raw.byteLength }, raw, parsed.index, opts);
  }

  async mediaType(): Promise<string> { return this.descriptor.mediaType; }
  async size(): Promise<number> { return this.raw.byteLength; }
  async digest(): Promise<string> { return this.descriptor.digest; }
  async indexManifest(): Promise<Index> { return structuredClone(this.parsed); }
  async rawManifest(): Promise<Uint8Array> { return this.raw.slice(); }

  private child(digest: string): Descriptor {
    const d = this.parsed.manifests.find((m) => m.digest === digest);
    if (!d) throw new BerthError('not_found', `index ${this.descriptor.digest} does not list ${digest}`);
    return d;
  }

  image(digest: string): Promise<LocalImage> { return LocalImage.open(this.blobs, this.child(digest), this.opts); }
  imageIndex(digest: string): Promise<LocalImageIndex> { return LocalImageIndex.open(this.blobs, this.child(digest), this.opts); }
}

/** Whether the blob is a layer nobody may redistribute (foreign layers live at their URLs). */
function isForeign(mediaType: string): boolean {
  return mediaType === MediaType.DockerForeignLayer || mediaType.includes('.nondistributable.');
}

/**
 * Copies an image into `store`: layers first, then config, then the manifest, so a manifest is
 * never present without what it references. Each blob is verified against its digest and size;
 * blobs already present are not copied again. Foreign layers that the source cannot give are
 * skipped, as Docker does. Returns the manifest's descriptor.
 */
export async function writeImage(store: BlobStore, image: Image, opts: { concurrency?: number } = {}): Promise<Descriptor> {
  const layers = await image.layers();
  const queue = [...layers];
  const workers = Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 3, queue.length)) }, async () => {
    for (let l = queue.shift(); l; l = queue.shift()) {
      const layer = l;
      const [digest, size, mediaType] = await Promise.all([layer.digest(), layer.size(), layer.mediaType()]);
      try {
        await store.write({ digest, size }, () => layer.compressed());
      } catch (e) {
        if (!isForeign(mediaType)) throw e;
      }
    }
  });
  await Promise.all(workers);
  await store.write({ digest: await image.configName() }, await image.rawConfigFile());
  const raw = await image.rawManifest();
  const digest = await image.digest();
  await store.write({ digest, size: raw.byteLength }, raw);
  return { mediaType: await image.mediaType(), digest, size: raw.byteLength };
}
