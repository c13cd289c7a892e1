// Images in a registry behind core's Image / Layer / ImageIndex interfaces (go-containerregistry's
// `remote`): the manifest is fetched once and verified, a manifest list is resolved to the wanted
// platform, config and layers are fetched on demand and verified while they stream.
import type { Codecs, HashFactory } from '../host.ts';
import type { Image, ImageIndex, Layer } from '../image/image.ts';
import type { Descriptor, ImageConfig, Index, Manifest, Platform } from '../image/types.ts';
import { parseImageConfig, parseManifestBytes } from '../image/parse.ts';
import { selectManifest } from '../image/platform.ts';
import { decompressStream } from '../layer/compression.ts';
import { verifyingStream } from '../digest.ts';
import { BerthError } from '../errors.ts';
import { familiarString, type Reference } from '../reference/reference.ts';
import type { ManifestResult, RegistryClient } from './client.ts';

export interface RemoteOptions {
  codecs: Codecs;
  hash: HashFactory;
  /** Called as layer bytes arrive: the layer's (compressed) digest, bytes so far, total when known. */
  onLayerProgress?: (digest: string, bytes: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/** The manifest list an image was picked from, when it was; its digest is what Docker records in RepoDigests. */
export interface PickedFrom { digest: string; mediaType: string; raw: Uint8Array }

function manifestRef(ref: Reference, digest: string): Reference {
  return { domain: ref.domain, path: ref.path, digest };
}

export class RemoteLayer implements Layer {
  constructor(
    private readonly client: RegistryClient,
    private readonly ref: Reference,
    readonly descriptor: Descriptor,
    private readonly diff: string,
    private readonly opts: RemoteOptions,
  ) {}

  async digest(): Promise<string> { return this.descriptor.digest; }
  async diffID(): Promise<string> { return this.diff; }
  async size(): Promise<number> { return this.descriptor.size; }
  async mediaType(): Promise<string> { return this.descriptor.mediaType; }

  compressed(): Promise<ReadableStream<Uint8Array>> {
    const onLayerProgress = this.opts.onLayerProgress;
    const digest = this.descriptor.digest;
    return this.client.getBlob(this.ref, digest, {
      size: this.descriptor.size,
      ...(onLayerProgress ? { onProgress: (n: number, total: number | undefined) => onLayerProgress(digest, n, total) } : {}),
      ...(this.opts.signal ? { signal: this.opts.signal } : {}),
    });
  }

  async uncompressed(): Promise<ReadableStream<Uint8Array>> {
    const tar = await decompressStream(await this.compressed(), this.opts.codecs);
    if (this.diff === this.descriptor.digest) return tar;
    return tar.pipeThrough(verifyingStream(this.opts.hash, this.diff));
  }
}

export class RemoteImage implements Image {
  private rawConfigCache: Uint8Array | undefined;
  private configCache: ImageConfig | undefined;

  constructor(
    private readonly client: RegistryClient,
    /** The repository, with the tag or digest it was asked for. */
    readonly ref: Reference,
    readonly descriptor: Descriptor,
    private readonly raw: Uint8Array,
    private readonly parsed: Manifest,
    private readonly opts: RemoteOptions,
    readonly pickedFrom?: PickedFrom,
  ) {}

  async mediaType(): Promise<string> { return this.descriptor.mediaType; }
  async size(): Promise<number> { return this.raw.byteLength; }
  async digest(): Promise<string> { return this.descriptor.digest; }
  async manifest(): Promise<Manifest> { return structuredClone(this.parsed); }
  async rawManifest(): Promise<Uint8Array> { return this.raw.slice(); }
  async configName(): Promise<string> { return this.parsed.config.digest; }

  async rawConfigFile(): Promise<Uint8Array> {
    this.rawConfigCache ??= await this.client.getBlobBytes(this.ref, this.parsed.config.digest, {
      size: this.parsed.config.size, ...(this.opts.signal ? { signal: this.opts.signal } : {}),
    });
    return this.rawConfigCache.slice();
  }

  async configFile(): Promise<ImageConfig> {
    this.configCache ??= parseImageConfig(await this.rawConfigFile());
    return structuredClone(this.configCache);
  }

  async layers(): Promise<RemoteLayer[]> {
    const diffIDs = (await this.configFile()).rootfs.diff_ids;
    if (diffIDs.length !== this.parsed.layers.length) {
      throw new BerthError('invalid_manifest',
        `image ${familiarString(this.ref)} has ${this.parsed.layers.length} layers but its config lists ${diffIDs.length} diff_ids`);
    }
    return this.parsed.layers.map((d, i) => new RemoteLayer(this.client, this.ref, d, diffIDs[i]!, this.opts));
  }

  async layerByDigest(digest: string): Promise<RemoteLayer> {
    const l = (await this.layers()).find((x) => x.descriptor.digest === digest);
    if (!l) throw new BerthError('not_found', `image ${familiarString(this.ref)} has no layer ${digest}`);
    return l;
  }

  async layerByDiffID(diffID: string): Promise<RemoteLayer> {
    for (const l of await this.layers()) if ((await l.diffID()) === diffID) return l;
    throw new BerthError('not_found', `image ${familiarString(this.ref)} has no layer with diffID ${diffID}`);
  }
}

export class RemoteImageIndex implements ImageIndex {
  constructor(
    private readonly client: RegistryClient,
    readonly ref: Reference,
    readonly descriptor: Descriptor,
    private readonly raw: Uint8Array,
    private readonly parsed: Index,
    private readonly opts: RemoteOptions,
  ) {}

  async mediaType(): Promise<string> { return this.descriptor.mediaType; }
  async size(): Promise<number> { return this.raw.byteLength; }
  async digest(): Promise<string> { return this.descriptor.digest; }
  async indexManifest(): Promise<Index> { return structuredClone(this.parsed); }
  async rawManifest(): Promise<Uint8Array> { return this.raw.slice(); }

  private child(digest: string): Descriptor {
    const d = this.parsed.manifests.find((m) => m.digest === digest);
    if (!d) throw new BerthError('not_found', `index ${familiarString(this.ref)} does not list ${digest}`);
    return d;
  }

  async image(digest: string): Promise<RemoteImage> {
    this.child(digest);
    const got = await this.client.getManifest(manifestRef(this.ref, digest), this.opts.signal ? { signal: this.opts.signal } : {});
    return asImage(this.client, this.ref, got, this.opts, { digest: this.descriptor.digest, mediaType: this.descriptor.mediaType, raw: this.raw });
  }

  async imageIndex(digest: string): Promise<RemoteImageIndex> {
    this.child(digest);
    const got = await this.client.getManifest(manifestRef(this.ref, digest), this.opts.signal ? { signal: this.opts.signal } : {});
    const parsed = parseManifestBytes(got.bytes, got.mediaType);
    if (parsed.kind !== 'index') throw new BerthError('invalid_manifest', `${digest} in ${familiarString(this.ref)} is an image manifest, not an index`);
    return new RemoteImageIndex(this.client, this.ref, { mediaType: parsed.mediaType, digest: got.digest, size: got.bytes.byteLength }, got.bytes, parsed.index, this.opts);
  }
}

function asImage(client: RegistryClient, ref: Reference, got: ManifestResult, opts: RemoteOptions, pickedFrom?: PickedFrom): RemoteImage {
  const parsed = parseManifestBytes(got.bytes, got.mediaType);
  if (parsed.kind !== 'manifest') throw new BerthError('invalid_manifest', `${got.digest} in ${familiarString(ref)} is an index, not an image manifest`);
  return new RemoteImage(client, ref, { mediaType: parsed.mediaType, digest: got.digest, size: got.bytes.byteLength }, got.bytes, parsed.manifest, opts, pickedFrom);
}

/** What a reference names in a registry: one image, or an index of them. */
export async function remote(client: RegistryClient, ref: Reference, opts: RemoteOptions): Promise<RemoteImage | RemoteImageIndex> {
  const got = await client.getManifest(ref, opts.signal ? { signal: opts.signal } : {});
  const parsed = parseManifestBytes(got.bytes, got.mediaType);
  const descriptor = { mediaType: parsed.mediaType, digest: got.digest, size: got.bytes.byteLength };
  if (parsed.kind === 'index') return new RemoteImageIndex(client, ref, descriptor, got.bytes, parsed.index, opts);
  return new RemoteImage(client, ref, descriptor, got.bytes, parsed.manifest, opts);
}

/**
 * The image a reference names for `platform`: a manifest list is resolved (nested indexes too) to
 * its best entry for the platform, as `docker pull` does.
 */
export async function remoteImage(client: RegistryClient, ref: Reference, platform: Platform, opts: RemoteOptions): Promise<RemoteImage> {
  let found = await remote(client, ref, opts);
  for (let depth = 0; found instanceof RemoteImageIndex; depth++) {
    if (depth > 4) throw new BerthError('invalid_manifest', `${familiarString(ref)}: image indexes nested too deeply`);
    const index = await found.indexManifest();
    const chosen = selectManifest(index, platform);
    found = chosen.mediaType && (chosen.mediaType.includes('index') || chosen.mediaType.includes('manifest.list'))
      ? await found.imageIndex(chosen.digest)
      : await found.image(chosen.digest);
  }
  return found;
}

/** The index a reference names; an error when it names a single image. */
export async function remoteIndex(client: RegistryClient, ref: Reference, opts: RemoteOptions): Promise<RemoteImageIndex> {
  const found = await remote(client, ref, opts);
  if (!(found instanceof RemoteImageIndex)) throw new BerthError('invalid_manifest', `${familiarString(ref)} is a single image, not an image index`);
  return found;
}
