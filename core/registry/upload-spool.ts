// Where the registry server keeps blob uploads in progress, before they are verified and moved
// into the content store. Implementations: memory (browser, tests) and files (host-linux).

export interface UploadSpool {
  /** Starts an empty upload. */
  create(id: string): Promise<void>;
  /**
   * Appends `data` at `offset`, which must be the upload's current size (else a `conflict`
   * BerthError). Returns the new size. When `data` fails midway the upload keeps its old size.
   */
  append(id: string, offset: number, data: ReadableStream<Uint8Array>): Promise<number>;
  /** The current size, or undefined when there is no such upload. */
  size(id: string): Promise<number | undefined>;
  /** The bytes uploaded so far. */
  read(id: string): Promise<ReadableStream<Uint8Array>>;
  /** Removes the upload; removing a missing one is not an error. */
  delete(id: string): Promise<void>;
}
