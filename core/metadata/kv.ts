// A tiny key-value store for metadata (image records, credentials, caches). Each put replaces the
// value atomically, so a crash leaves the old or the new value, never a torn one.

export interface MetadataStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix`. */
  keys(prefix?: string): Promise<string[]>;
}
