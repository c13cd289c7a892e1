// The snapshotter of the browser host. The guest (or the WASI runtime) assembles a container's root
// filesystem from the layer blobs itself, so here a snapshot is only the record that a layer was
// read through once and hashes to its diffID, with its unpacked size, kept in the metadata store.
import type { HashFactory } from '../../core/host.ts';
import type { MetadataStore } from '../../core/metadata/kv.ts';
import type { SnapshotInfo, Snapshotter } from '../../core/snapshot/snapshotter.ts';
import { SingleFlight } from '../../core/content/single-flight.ts';
import { verifyingStream } from '../../core/digest.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

export class LayerSnapshotter implements Snapshotter {
  private readonly flights = new SingleFlight<string, SnapshotInfo>();

  constructor(private readonly kv: MetadataStore, private readonly hash: HashFactory) {}

  private async get(diffID: string): Promise<SnapshotInfo | undefined> {
    const raw = await this.kv.get(diffID);
    if (!raw) return undefined;
    try { return JSON.parse(dec.decode(raw)) as SnapshotInfo; } catch { return undefined; }
  }

  async has(diffID: string): Promise<boolean> {
    return (await this.get(diffID)) !== undefined;
  }

  prepare(diffID: string, open: () => Promise<ReadableStream<Uint8Array>>): Promise<SnapshotInfo> {
    return this.flights.run(diffID, async () => {
      const have = await this.get(diffID);
      if (have) return have;
      let size = 0;
      await (await open()).pipeThrough(verifyingStream(this.hash, diffID))
        .pipeTo(new WritableStream({ write(c) { size += c.byteLength; } }));
      const info = { diffID, size };
      await this.kv.put(diffID, enc.encode(JSON.stringify(info)));
      return info;
    });
  }

  async remove(diffID: string): Promise<void> {
    await this.kv.delete(diffID);
  }

  async list(): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    for (const k of await this.kv.keys()) { const s = await this.get(k); if (s) out.push(s); }
    return out;
  }
}
