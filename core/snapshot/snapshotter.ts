// Unpacked layers, kept once per diffID so a host can stack them into root filesystems
// (containerd's snapshotter). On Linux: directories stacked with overlayfs; in the browser: the guest.

export interface SnapshotInfo {
  diffID: string;
  /** Bytes on disk of the unpacked layer (apparent size of its files). */
  size: number;
}

export interface Snapshotter {
  has(diffID: string): Promise<boolean>;
  /**
   * Unpacks the layer once: `open` is called only if the layer is not present yet, and concurrent
   * calls for one diffID share a single unpack. The stream is the uncompressed tar; its digest must
   * equal `diffID`, or nothing is kept.
   */
  prepare(diffID: string, open: () => Promise<ReadableStream<Uint8Array>>): Promise<SnapshotInfo>;
  remove(diffID: string): Promise<void>;
  list(): Promise<SnapshotInfo[]>;
}
