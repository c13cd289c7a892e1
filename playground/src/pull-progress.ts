// A pull's progress for the status line, summed from the JSON messages POST /images/create streams
// (the ones `berth pull` draws per layer): bytes of the layers whose size is known, and how many
// layers are finished.
import { decodeJSONStream, type JSONMessage } from '../../core/cli/json-message.ts';

export interface PullState {
  ref: string;
  /** Bytes downloaded and expected, over the layers whose size is known so far. */
  current: number;
  total: number;
  layersDone: number;
  layers: number;
  /** Set once the pull ended: `done`, or the daemon's error. */
  outcome?: 'done' | { error: string };
}


const FINISHED = /^(Pull complete|Already exists|Download complete)$/;

export class PullProgress {
  private readonly layers = new Map<string, { current: number; total: number; done: boolean }>();
  private outcome: PullState['outcome'];

  constructor(readonly ref: string) {}

  /** Takes one message (one line of the stream). */
  add(m: JSONMessage): void {
    if (m.error || m.errorDetail) {
      this.outcome = { error: m.errorDetail?.message ?? m.error ?? 'pull failed' };
      return;
    }
    const id = m.id;
    const status = m.status ?? '';
    // Messages with an id name a layer, except the first ("Pulling from ...", whose id is the tag).
    if (id && !status.startsWith('Pulling from')) {
      const layer = this.layers.get(id) ?? { current: 0, total: 0, done: false };
      if (status === 'Downloading' && m.progressDetail) {
        layer.current = m.progressDetail.current ?? layer.current;
        layer.total = m.progressDetail.total ?? layer.total;
      }
      if (FINISHED.test(status)) {
        layer.done = true;
        if (layer.total) layer.current = layer.total;
      }
      this.layers.set(id, layer);
    }
    if (status.startsWith('Status: ')) this.outcome = 'done';
  }

  /** Marks the end of the stream (an error or a status line may have said how it ended already). */
  end(error?: string): void {
    this.outcome ??= error ? { error } : 'done';
  }

  get state(): PullState {
    let current = 0;
    let total = 0;
    let layersDone = 0;
    for (const l of this.layers.values()) {
      if (l.total) { current += l.current; total += l.total; }
      if (l.done) layersDone++;
    }
    return { ref: this.ref, current, total, layersDone, layers: this.layers.size, ...(this.outcome ? { outcome: this.outcome } : {}) };
  }
}

/** Feeds the stream of a pull's JSON messages into `progress`, calling `onChange` after each. */
export async function readPullStream(body: ReadableStream<Uint8Array>, progress: PullProgress, onChange: () => void): Promise<void> {
  try {
    for await (const m of decodeJSONStream(body)) {
      progress.add(m);
      onChange();
    }
    progress.end();
  } catch (e) {
    progress.end(e instanceof Error ? e.message : String(e));
  }
  onChange();
}
