// Messages between the engine and the worker that runs a wasm module, and the host service that
// makes such a worker (a Web Worker in the browser, a worker_threads Worker on Linux). A module
// has its worker to itself while it runs, so that kill, stop and time limits can end it at once
// (terminate), whatever the module is doing; a worker whose module ended by itself runs the next.
import type { RootfsImage } from './rootfs.ts';

export interface RunMessage {
  type: 'run';
  /** Compiled by the engine (compiled modules are cached and cloneable into workers). */
  module: WebAssembly.Module;
  /** argv: argv[0] is the module's path in the container. */
  args: string[];
  env: string[];
  /** Preopened as `/`. */
  rootfs: RootfsImage;
  /** The stdin ring (stdin-ring.ts); null: stdin is empty (as /dev/null). */
  stdin: SharedArrayBuffer | null;
  /** stdin given whole before the start, where shared memory is not available. */
  stdinBytes?: Uint8Array;
  /** Int32 counters shared with the engine (COUNTER_*); null without shared memory. */
  counters: SharedArrayBuffer | null;
  /** Bytes the module's files may grow by in memory before writes fail with ENOSPC. */
  fileBytes: number;
}

/** 1 while the module is blocked (stdin, sleep, output the engine has not taken yet). */
export const COUNTER_BLOCKED = 0;
/** Milliseconds blocked so far: the engine leaves them out of the time limit. */
export const COUNTER_BLOCKED_MS = 1;
/** Output bytes posted but not yet taken by the engine. */
export const COUNTER_OUTPUT_IN_FLIGHT = 2;
export const COUNTERS_BYTES = 3 * 4;
/** A module that writes faster than the engine takes it waits beyond this, as a full pipe makes a process wait. */
export const OUTPUT_IN_FLIGHT_MAX = 1024 * 1024;

export type WorkerMessage =
  /** Instantiated; `_start` is being called. */
  | { type: 'started' }
  | { type: 'output'; fd: 1 | 2; data: Uint8Array }
  /** `proc_exit` or the return of `_start` (0). */
  | { type: 'exit'; code: number }
  /** The module trapped (unreachable, out-of-bounds access, stack overflow...). */
  | { type: 'trap'; message: string }
  /** It never started: a missing import, no `_start`, an instantiation error. */
  | { type: 'failed'; message: string };

/** The engine's handle on a worker. */
export interface WasiWorker {
  postMessage(message: RunMessage): void;
  /** Returns a function that removes the listener (a worker outlives the module it ran). */
  onMessage(listener: (message: WorkerMessage) => void): () => void;
  /** The worker died of something the module could not catch (the host's own error). */
  onError(listener: (error: Error) => void): () => void;
  terminate(): void | Promise<unknown>;
}

/** The host service: starts a worker that runs core/wasi/worker.ts's serveWasiWorker. */
export type SpawnWorker = () => WasiWorker;

/** The worker's side of the channel. */
export interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  onMessage(listener: (message: RunMessage) => void): void;
}
