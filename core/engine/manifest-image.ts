// An Image over "somewhere blobs come from" (a registry, an OCI layout directory, the content
// store): the manifest is at hand, config and layers are fetched through `open` only when asked.
import type { Image, Layer } from '../image/image.ts';
import type { Descriptor, ImageConfig, Manifest } from '../image/types.ts';
import { parseImageConfig } from '../image/parse.ts';
import type { Codecs } from '../host.ts';
import { decompressStream } from '../layer/compression.ts';
import { BerthError } from '../errors.ts';

export type OpenBlob = (desc: Descriptor) => Promise<ReadableStream<Uint8Array>>;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export class ManifestImage implements Image {
  private config: Promise<Uint8Array> | undefined;

  constructor(
    private readonly desc: Descriptor,
    private readonly raw: Uint8Array,
    private readonly parsed: Manifest,
    private readonly open: OpenBlob,
    private readonly codecs: Codecs,
  ) {}

  async mediaType() { return this.desc.mediaType; }
  async size() { return this.desc.size; }
  async digest() { return this.desc.digest; }
  async manifest() { return this.parsed; }
  async rawManifest() { return this.raw; }
  async configName() { return this.parsed.config.digest; }
  rawConfigFile(): Promise<Uint8Array> {
    this.config ??= this.open(this.parsed.config).then(readAll);
    this.config.catch(() => { this.config = undefined; });
    return this.config;
  }
  async configFile(): Promise<ImageConfig> { return parseImageConfig(await this.rawConfigFile()); }

  async layers(): Promise<Layer[]> {
    const config = await this.configFile();
    return this.parsed.layers.map((d, i) => this.layer(d, config.rootfs.diff_ids[i] ?? ''));
  }

  private layer(d: Descriptor, diffID: string): Layer {
    const open = this.open;
    const codecs = this.codecs;
    return {
      digest: async () => d.digest,
      diffID: async () => diffID,
      size: async () => d.size,
      mediaType: async () => d.mediaType,
      compressed: () => open(d),
      uncompressed: async () => decompressStream(await open(d), codecs),
    };
  }

  async layerByDigest(digest: string): Promise<Layer> {
    const l = (await this.layers()).find((_, i) => this.parsed.layers[i]!.digest === digest);
    if (!l) throw new BerthError('not_found', `layer ${digest} is not part of image ${this.desc.digest}`);
    return l;
  }

  async layerByDiffID(diffID: string): Promise<Layer> {
    const config = await this.configFile();
    const i = config.rootfs.diff_ids.indexOf(diffID);
    if (i < 0) throw new BerthError('not_found', `layer with diffID ${diffID} is not part of image ${this.desc.digest}`);
    return (await this.layers())[i]!;
  }
}
