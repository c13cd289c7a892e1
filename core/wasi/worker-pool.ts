// Starting a worker costs more than running a small module (a Node worker 30-60 ms on a busy
// machine, a Web Worker a few ms plus its script), so one started worker is kept spare. A
// container takes it; a worker whose module ended by itself comes back as the spare, and only a
// module that is still running after a moment (or was killed) makes the pool start a new one.
// A spare nobody takes for a while is ended, so an engine that ran wasm once does not keep a
// worker's memory for good.
import type { SpawnWorker, WasiWorker } from './protocol.ts';

export const SPARE_IDLE_MS = 60_000;
/** Most modules of short-lived containers are done by then and give their worker back. */
const REFILL_AFTER_MS = 50;

export class WorkerPool {
  private spare: WasiWorker | undefined;
  private offError: (() => void) | undefined;
  private idle: ReturnType<typeof setTimeout> | undefined;
  private refill: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  /**
   * `spareEnded`: an idle spare has been ended and its thread is gone, so its memory can go back to the
   * system (the host's idle release; nothing else happens then to trigger it).
   */
  constructor(
    private readonly spawn: SpawnWorker,
    private readonly idleMs = SPARE_IDLE_MS,
    private readonly spareEnded?: () => void,
  ) {}

  /** A started worker; the first call starts one on the spot (no spare is kept before wasm is used). */
  readonly take: SpawnWorker = () => {
    const w = this.spare ?? this.spawn();
    this.clearSpare();
    if (!this.closed && !this.refill) {
      this.refill = setTimeout(() => {
        this.refill = undefined;
        if (!this.spare && !this.closed) this.keep(this.spawn());
      }, REFILL_AFTER_MS);
      unref(this.refill);
    }
    return w;
  };

  /**
   * A worker whose module has ended by itself becomes the spare. It replaces a spare started
   * meanwhile: that one may still be loading, this one is known to be ready.
   */
  readonly give = (w: WasiWorker): void => {
    if (this.closed) { void Promise.resolve(w.terminate()).catch(() => {}); return; }
    const old = this.spare;
    this.clearSpare();
    void Promise.resolve(old?.terminate()).catch(() => {});
    this.keep(w);
  };

  get hasSpare(): boolean { return !!this.spare; }

  /** Ends the spare (daemon shutdown, the end of a test). */
  close(): void {
    this.closed = true;
    if (this.refill) clearTimeout(this.refill);
    this.refill = undefined;
    const s = this.spare;
    this.clearSpare();
    void Promise.resolve(s?.terminate()).catch(() => {});
  }

  private keep(w: WasiWorker): void {
    this.spare = w;
    // A spare that dies before it is used is dropped; a new one starts with the next container.
    this.offError = w.onError(() => { if (this.spare === w) this.clearSpare(); });
    this.idle = setTimeout(() => {
      const s = this.spare;
      this.clearSpare();
      void Promise.resolve(s?.terminate()).catch(() => {}).then(() => this.spareEnded?.());
    }, this.idleMs);
    unref(this.idle);
  }

  private clearSpare(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    this.offError?.();
    this.offError = undefined;
    this.spare = undefined;
  }
}

/** Node: an idle spare must not keep the process alive. */
function unref(t: ReturnType<typeof setTimeout>): void {
  (t as { unref?: () => void }).unref?.();
}
