// The services a host (Node on Linux, a browser worker) passes into core. core never imports node:.

/** An incremental hash; `digest()` returns lowercase hex. */
export interface Hasher {
  update(data: Uint8Array): void;
  digest(): string;
}
export type HashFactory = (algorithm: 'sha256' | 'sha512') => Hasher;

/** The fetch the registry client uses; hosts may add timeouts, proxies or unix sockets. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Compression codecs as web-standard transform streams; hosts may provide faster native ones. */
export interface Codecs {
  gunzip(): TransformStream<Uint8Array, Uint8Array>;
  gzip(): TransformStream<Uint8Array, Uint8Array>;
  unzstd(): TransformStream<Uint8Array, Uint8Array>;
  /** Optional: not every host can write zstd. */
  zstd?(): TransformStream<Uint8Array, Uint8Array>;
}

/** Clock and randomness, injectable for reproducible tests and builds. */
export interface Clock { now(): Date }
