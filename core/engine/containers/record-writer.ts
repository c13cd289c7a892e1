// Writes containers' records, and keeps going when the disk cannot take them. A transition has
// happened once it is in memory; a record that cannot be written (a full disk) is logged once per
// failure streak, kept dirty, and retried at the container's next transition, on a timer, and
// whenever another write succeeds (space was freed), while the store keeps the previous record.
// Meanwhile it is parked in `pending` (the exec root: memory, not the full disk), so a daemon
// restart still finds the container's last state.
import type { MetadataStore } from '../../metadata/kv.ts';
import { BerthError, errorMessage } from '../../errors.ts';
import { errorText } from '../../system-error.ts';
import type { ContainerRecord } from './types.ts';
import { Container } from './container.ts';

/** How soon a record that could not be written is tried again (sooner when space frees). */
const RETRY_MS = 5_000;

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface RecordWriterOptions {
  store: MetadataStore;
  pending?: MetadataStore | undefined;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export class RecordWriter {
  /** The containers whose records on disk are behind. */
  private readonly dirty = new Map<string, Container>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly opts: RecordWriterOptions) {}

  /** Every record, a parked one over the store's (it is newer); parked ones are written again soon. */
  async load(): Promise<Container[]> {
    const out = new Map<string, Container>();
    const read = async (store: MetadataStore, parked: boolean) => {
      for (const key of await store.keys()) {
        const raw = await store.get(key).catch((e: unknown) => {
          this.opts.log('warn', `cannot read the record of container ${key}: ${errorText(e)}`);
          return undefined;
        });
        if (!raw) continue;
        let rec: ContainerRecord;
        try { rec = JSON.parse(dec.decode(raw)) as ContainerRecord; } catch (e) {
          this.opts.log('warn', `skipping the unreadable record of container ${key}: ${errorMessage(e)}`);
          continue;
        }
        if (parked && !out.has(rec.Id)) {
          // Its container was removed (a first record always reaches the store): a leftover.
          await store.delete(key).catch(() => {});
          continue;
        }
        const c = new Container(rec, true);
        if (parked) { c.dirty = true; this.dirty.set(c.id, c); }
        out.set(rec.Id, c);
      }
    };
    await read(this.opts.store, false);
    if (this.opts.pending) await read(this.opts.pending, true);
    if (this.dirty.size) this.scheduleRetry();
    return [...out.values()];
  }

  /** Only a new container's first record must be written (its create fails otherwise). */
  async write(c: Container): Promise<void> {
    const isNew = !c.persisted;
    let bytes: Uint8Array | undefined;
    try {
      await c.persist((rec) => this.opts.store.put(rec.Id, bytes = enc.encode(JSON.stringify(rec))));
    } catch (e) {
      if (isNew) throw new BerthError('internal', errorText(e), { cause: e });
      await this.failed(c, e, bytes);
      return;
    }
    await this.written(c);
  }

  async remove(c: Container): Promise<void> {
    await c.unpersist(() => this.opts.store.delete(c.id));
    if (this.dirty.delete(c.id)) await this.opts.pending?.delete(c.id).catch(() => {});
  }

  /** Retries every record that is behind (space was freed, a timer, shutdown); failures stay dirty. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        for (const c of [...this.dirty.values()]) {
          if (c.removed) { this.dirty.delete(c.id); continue; }
          if (c.dirty) await this.write(c);
          else await this.written(c);
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  /** How many records are behind their containers. */
  get behind(): number { return this.dirty.size; }

  private async failed(c: Container, e: unknown, bytes: Uint8Array | undefined): Promise<void> {
    if (!this.dirty.has(c.id)) {
      this.dirty.set(c.id, c);
      this.opts.log('error', `cannot record the state of container ${c.id}: ${errorText(e)}; it is ${c.rec.State.Status}, and its record will be written once the disk allows`);
    }
    if (bytes) await this.opts.pending?.put(c.id, bytes).catch(() => {});
    this.scheduleRetry();
  }

  private async written(c: Container): Promise<void> {
    if (!this.dirty.delete(c.id)) return;
    await this.opts.pending?.delete(c.id).catch(() => {});
    this.opts.log('info', `recorded the state of container ${c.id} again`);
    // The disk took a write: the others may fit now as well.
    if (this.dirty.size) void this.flush();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; void this.flush(); }, RETRY_MS);
    // A retry must not keep a host's event loop (Node) alive on its own.
    (this.retryTimer as { unref?: () => void }).unref?.();
  }
}
