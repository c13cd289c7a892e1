// The two small interfaces every source of images implements (after go-containerregistry's
// v1.Image and v1.Layer): a registry, the local store, a docker-archive, an OCI layout, the builder.
import type { Descriptor, ImageConfig, Index, Manifest } from './types.ts';

export interface Layer {
  /** Digest of the compressed blob as stored and transferred. */
  digest(): Promise<string>;
  /** Digest of the uncompressed tar (what the config's rootfs.diff_ids lists). */
  diffID(): Promise<string>;
  /** Size of the compressed blob in bytes. */
  size(): Promise<number>;
  /** Media type of the blob (gzip, zstd or plain tar). */
  mediaType(): Promise<string>;
  /** The blob as stored (compressed); verified against digest() while read. */
  compressed(): Promise<ReadableStream<Uint8Array>>;
  /** The tar stream, decompressed. */
  uncompressed(): Promise<ReadableStream<Uint8Array>>;
}

export interface Image {
  /** The manifest's media type. */
  mediaType(): Promise<string>;
  /** Size of the raw manifest. */
  size(): Promise<number>;
  /** Digest of the raw manifest. */
  digest(): Promise<string>;
  /** The parsed manifest. */
  manifest(): Promise<Manifest>;
  /** The manifest bytes exactly as stored (digests are over these). */
  rawManifest(): Promise<Uint8Array>;
  /** Digest of the config blob: Docker's image ID. */
  configName(): Promise<string>;
  /** The parsed config. */
  configFile(): Promise<ImageConfig>;
  /** The config bytes exactly as stored. */
  rawConfigFile(): Promise<Uint8Array>;
  /** Layers in order, base first. */
  layers(): Promise<Layer[]>;
  layerByDigest(digest: string): Promise<Layer>;
  layerByDiffID(diffID: string): Promise<Layer>;
}

/** A manifest list / OCI index: a set of platform images (or nested indexes). */
export interface ImageIndex {
  mediaType(): Promise<string>;
  size(): Promise<number>;
  digest(): Promise<string>;
  indexManifest(): Promise<Index>;
  rawManifest(): Promise<Uint8Array>;
  image(digest: string): Promise<Image>;
  imageIndex(digest: string): Promise<ImageIndex>;
}

export type Descriptored<T> = T & { descriptor?: Descriptor };
