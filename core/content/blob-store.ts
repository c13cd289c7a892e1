// The content store: blobs by digest (containerd's content service). Implementations: a directory
// on Linux, OPFS/IndexedDB in the browser. Every write is verified before it becomes visible, and
// every read is verified as it streams.

export interface BlobInfo {
  digest: string;
  size: number;
}

/** What a writer promises to deliver. `size` is checked when known. */
export interface Expected {
  digest: string;
  size?: number;
}

/** The data for a write: bytes at hand, or a function that opens a stream only if it is needed. */
export type BlobSource = Uint8Array | (() => Promise<ReadableStream<Uint8Array>>);

export interface BlobStore {
  /** Size and digest of a stored blob, or undefined. */
  info(digest: string): Promise<BlobInfo | undefined>;
  /** A stream of the blob; it errors at the end if the stored bytes no longer match the digest. */
  read(digest: string): Promise<ReadableStream<Uint8Array>>;
  /** The whole blob, verified. For manifests and configs, not for layers. */
  readBytes(digest: string): Promise<Uint8Array>;
  /**
   * Stores a blob atomically (temp file + rename) after verifying digest and size. A blob already
   * present is not written again, and concurrent writes of one digest share a single transfer
   * (the source of the second caller is never opened).
   */
  write(expected: Expected, source: BlobSource): Promise<BlobInfo>;
  /** Removes a blob; removing a missing blob is not an error. */
  delete(digest: string): Promise<void>;
  /** Every stored blob. */
  list(): AsyncIterable<BlobInfo>;
  /**
   * Stores a stream whose digest is not known in advance (a layer inside a docker-archive): the
   * sha256 is computed while writing and the blob is committed under it. Optional so that other
   * implementations stay valid; use `ingestBlob` from core/content/ingest.ts to fall back.
   */
  ingest?(stream: ReadableStream<Uint8Array>): Promise<BlobInfo>;
}

/** The reading half of a store: enough for read-only sources of blobs (an OCI layout on disk). */
export type BlobReader = Pick<BlobStore, 'info' | 'read' | 'readBytes'>;
