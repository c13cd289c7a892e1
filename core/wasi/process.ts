// The engine's side of one running wasm module: its worker, stdin, output as it is written, the
// exit status, signals and the time limit. Exit codes follow wasmtime's CLI (which runwasi's
// containerd-shim-wasmtime embeds): proc_exit's code, 134 (128+SIGABRT) with the trap on stderr
// for a trap, and 128+N for a signal, as a Linux process killed by signal N reports it.
import type { RootfsImage } from './rootfs.ts';
import {
  COUNTER_BLOCKED, COUNTER_BLOCKED_MS, COUNTER_OUTPUT_IN_FLIGHT, COUNTERS_BYTES, type SpawnWorker, type WasiWorker, type WorkerMessage,
} from './protocol.ts';
import { concatBytes } from '../bytes.ts';
import { createStdinRing, StdinRingWriter, stdinRingSupported } from './stdin-ring.ts';

export const SIGABRT = 6;
export const SIGXCPU = 24;
/** Signals whose default action is to be ignored (or to stop/continue, which a module cannot): no effect. */
const IGNORED_SIGNALS = new Set([17 /* CHLD */, 18 /* CONT */, 19 /* STOP */, 20 /* TSTP */, 21 /* TTIN */, 22 /* TTOU */, 23 /* URG */, 28 /* WINCH */]);

export interface ModuleExit {
  code: number;
  /** The signal that ended it (kill, stop, the time limit). */
  signal?: number;
}

export interface WasiProcessOptions {
  spawnWorker: SpawnWorker;
  module: WebAssembly.Module;
  args: string[];
  env: string[];
  rootfs: RootfsImage;
  /** Bytes the module's files may grow by (they are kept in the engine's memory). */
  fileBytes: number;
  /** Open stdin (`-i`); otherwise the module reads EOF at once. */
  stdin: boolean;
  /** Ended with SIGXCPU after this long (`--ulimit cpu=N`: N seconds). */
  timeLimitMs?: number;
  /** Every write of the module to fd 1 or 2, as it happens. */
  onOutput(fd: 1 | 2, data: Uint8Array): void;
  /** Whether shared memory may be used (default: where the platform has it); false: what a page without cross-origin isolation gets. */
  sharedMemory?: boolean;
  /** Takes back the worker of a module that ended by itself (exit, trap): it can run the next one. Otherwise it is terminated. */
  release?(worker: WasiWorker): void;
}

const enc = new TextEncoder();

export class WasiProcess {
  /** Resolves once the module is instantiated and running; rejects with why it could not start. */
  readonly started: Promise<void>;
  readonly exited: Promise<ModuleExit>;
  private worker: WasiWorker | undefined;
  private ring: StdinRingWriter | undefined;
  /** stdin gathered whole when shared memory is unavailable (a browser page without cross-origin isolation). */
  private pendingStdin: Uint8Array[] | undefined;
  private settle!: (exit: ModuleExit) => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private done = false;
  private unsubscribe: (() => void)[] = [];
  private counters: Int32Array | undefined;
  /** The deferred start (no shared memory, -i): run when stdin closes. */
  private launch: ((stdinBytes?: Uint8Array) => void) | undefined;

  constructor(private readonly opts: WasiProcessOptions) {
    this.exited = new Promise((resolve) => { this.settle = resolve; });
    let startedResolve!: () => void;
    let startedReject!: (e: Error) => void;
    this.started = new Promise((resolve, reject) => { startedResolve = resolve; startedReject = reject; });
    this.started.catch(() => {});
    const onMessage = (m: WorkerMessage): void => {
      if (this.done) return;
      switch (m.type) {
        case 'started': startedResolve(); break;
        case 'output':
          opts.onOutput(m.fd, m.data);
          if (this.counters) {
            Atomics.sub(this.counters, COUNTER_OUTPUT_IN_FLIGHT, m.data.length);
            Atomics.notify(this.counters, COUNTER_OUTPUT_IN_FLIGHT);
          }
          break;
        case 'exit': this.finish({ code: m.code }, true); break;
        case 'trap':
          opts.onOutput(2, enc.encode(`Error: failed to run main module \`${opts.args[0] ?? ''}\`\n\nCaused by:\n    wasm trap: ${m.message}\n`));
          this.finish({ code: 128 + SIGABRT }, true);
          break;
        case 'failed':
          // A start deferred until stdin closed has already been reported: the reason goes to stderr.
          if (deferred) opts.onOutput(2, enc.encode(`berth: the wasm module could not start: ${m.message}\n`));
          startedReject(new Error(m.message));
          this.finish({ code: 128 }, true);
          break;
      }
    };
    const shared = (opts.sharedMemory ?? stdinRingSupported()) ? new SharedArrayBuffer(COUNTERS_BYTES) : null;
    if (shared) this.counters = new Int32Array(shared);
    const ring = opts.stdin && shared ? createStdinRing() : null;
    const deferred = opts.stdin && !ring;
    if (ring) this.ring = new StdinRingWriter(ring);
    const launch = (stdinBytes?: Uint8Array): void => {
      if (this.done) return;
      const worker = opts.spawnWorker();
      this.worker = worker;
      this.unsubscribe.push(worker.onMessage(onMessage), worker.onError((e) => {
        if (this.done) return;
        opts.onOutput(2, enc.encode(`berth: the worker running the wasm module failed: ${e.message}\n`));
        startedReject(e);
        this.finish({ code: 1 });
      }));
      worker.postMessage({
        type: 'run', module: opts.module, args: opts.args, env: opts.env, rootfs: opts.rootfs, stdin: ring, counters: shared, fileBytes: opts.fileBytes,
        ...(stdinBytes ? { stdinBytes } : {}),
      });
      if (opts.timeLimitMs !== undefined) this.limitTime(opts.timeLimitMs);
    };
    if (deferred) {
      // Without shared memory a module cannot block on stdin: it runs once stdin has been closed.
      this.pendingStdin = [];
      startedResolve();
      this.launch = launch;
    } else {
      launch();
    }
  }

  /**
   * The limit counts time running, like RLIMIT_CPU: time the module spends blocked on stdin or
   * asleep (the worker's counters) is given back before it is ended with SIGXCPU.
   */
  private limitTime(limitMs: number): void {
    const start = Date.now();
    const c = this.counters;
    const check = (): void => {
      if (this.done) return;
      const waiting = c ? Atomics.load(c, COUNTER_BLOCKED) === 1 : false;
      const ran = Date.now() - start - (c ? Atomics.load(c, COUNTER_BLOCKED_MS) : 0);
      if (!waiting && ran >= limitMs) {
        this.opts.onOutput(2, enc.encode(`berth: the wasm module used up its time limit (--ulimit cpu=${limitMs / 1000}) and was killed\n`));
        this.kill(SIGXCPU);
        return;
      }
      this.timer = setTimeout(check, Math.max(waiting ? 250 : limitMs - ran, 20));
    };
    this.timer = setTimeout(check, limitMs);
  }

  async writeStdin(data: Uint8Array): Promise<void> {
    if (this.pendingStdin) { this.pendingStdin.push(data.slice()); return; }
    await this.ring?.write(data);
  }

  async closeStdin(): Promise<void> {
    if (this.pendingStdin && this.launch) {
      const all = concatBytes(this.pendingStdin);
      this.pendingStdin = undefined;
      const launch = this.launch;
      this.launch = undefined;
      launch(all);
      return;
    }
    await this.ring?.close();
  }

  /** A signal ends the module (it has no handlers), except those Linux ignores by default. */
  kill(signal: number): boolean {
    if (this.done) return false;
    if (IGNORED_SIGNALS.has(signal)) return false;
    this.finish({ code: 128 + signal, signal });
    return true;
  }

  /** `idle`: the module ended by itself, so its worker is idle and can be released for the next. */
  private finish(exit: ModuleExit, idle = false): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.ring?.abandon();
    for (const off of this.unsubscribe) off();
    const w = this.worker;
    if (w && idle && this.opts.release) this.opts.release(w);
    else void Promise.resolve(w?.terminate()).catch(() => {});
    this.settle(exit);
  }
}
