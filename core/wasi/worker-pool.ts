// Starting a worker costs more than running a small module (a Node worker ~10-30 ms, a Web Worker
// a few ms plus its script), so one spare worker is kept started: a container takes it and a new
// spare starts in the background. Workers are never reused: a module's worker ends with it.
import type { SpawnWorker, WasiWorker } from './protocol.ts';

export class WorkerPool {
  private spare: WasiWorker | undefined;
  private closed = false;

  constructor(private readonly spawn: SpawnWorker) {}

  /** A started worker; the first call starts one on the spot (no spare is kept before wasm is used). */
  readonly take: SpawnWorker = () => {
    const w = this.spare ?? this.spawnOne();
    this.spare = undefined;
    if (!this.closed) setTimeout(() => { if (!this.spare && !this.closed) this.spare = this.spawnOne(); }, 0);
    return w;
  };

  /** Ends the spare (daemon shutdown, the end of a test). */
  close(): void {
    this.closed = true;
    const s = this.spare;
    this.spare = undefined;
    void Promise.resolve(s?.terminate()).catch(() => {});
  }

  private spawnOne(): WasiWorker {
    const w = this.spawn();
    // A spare that dies before it is used is dropped; its successor starts on the next take.
    w.onError(() => { if (this.spare === w) this.spare = undefined; });
    return w;
  }
}
