// A snapshotter for unit tests: counts the tar bytes instead of unpacking them, and keeps a layer
// only when its tar hashes to the diffID, as FsSnapshotter does.
import { verifyingStream } from '../../core/digest.ts';
import type { Snapshotter, SnapshotInfo } from '../../core/snapshot/snapshotter.ts';
import { nodeHash } from '../../host-linux/services.ts';

export class MemorySnapshotter implements Snapshotter {
  readonly layers = new Map<string, SnapshotInfo>();
  /** How many layers were actually read (prepare calls that opened their stream). */
  opened = 0;
  async has(d: string) { return this.layers.has(d); }
  async prepare(diffID: string, open: () => Promise<ReadableStream<Uint8Array>>) {
    const have = this.layers.get(diffID);
    if (have) return have;
    this.opened++;
    let size = 0;
    await (await open()).pipeThrough(verifyingStream(nodeHash, diffID)).pipeTo(new WritableStream({ write(c) { size += c.byteLength; } }));
    const info = { diffID, size };
    this.layers.set(diffID, info);
    return info;
  }
  async remove(d: string) { this.layers.delete(d); }
  async list() { return [...this.layers.values()]; }
}
