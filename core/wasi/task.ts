// A wasm container as the engine sees a container: a ContainerTask whose process is a module in a
// worker. Attach clients get the output as berth-shim gives it (multiplexed frames, raw with a
// TTY; nothing replayed from before they attached), stdin goes into the module's ring, and every
// line also goes to the container's log.
import { BerthError } from '../errors.ts';
import type { ContainerTask, ExitStatus, ProcessTask, StdioOptions, StreamPair } from '../engine/containers/runtime.ts';
import { frame } from '../engine/containers/stdcopy.ts';
import { LineSplitter, logTime, type LogWriter } from './logs.ts';
import { WasiProcess, type WasiProcessOptions } from './process.ts';
import { CanonicalInput, ttyOutput } from './tty.ts';

export function unsupported(what: string): BerthError {
  return new BerthError('unsupported', `${what} is not supported for wasm containers: the module runs in a WebAssembly runtime, not as Linux processes`, { status: 501 });
}

export interface WasiTaskOptions extends Omit<WasiProcessOptions, 'onOutput' | 'stdin'> {
  stdio: StdioOptions;
  log: LogWriter;
  now: () => Date;
  /** Called once the task is over (the runtime forgets it). */
  onEnd?: () => void;
}

export class WasiTask implements ContainerTask {
  readonly pid = 0;
  private process: WasiProcess | undefined;
  private readonly clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  private readonly lines: LineSplitter;
  private logSeq = 0;
  private startedAt = '';
  private readonly exit: Promise<ExitStatus>;
  private resolveExit!: (s: ExitStatus) => void;
  private stdinClosed = false;
  /** -t: what the kernel's tty would do (tty.ts). */
  private readonly tty: CanonicalInput | undefined;
  private lastWasCr = false;
  /** stdin that arrives between attach and start waits for the module. */
  private readonly ready: Promise<WasiProcess>;
  private resolveReady!: (p: WasiProcess) => void;

  constructor(private readonly opts: WasiTaskOptions) {
    this.exit = new Promise((resolve) => { this.resolveExit = resolve; });
    this.ready = new Promise((resolve) => { this.resolveReady = resolve; });
    if (opts.stdio.tty) this.tty = new CanonicalInput();
    this.lines = new LineSplitter((stream, line) => {
      opts.log.write({ stream, line, time: logTime(opts.now(), this.logSeq++) });
    });
  }

  async start(): Promise<void> {
    if (this.process) return;
    const { stdio } = this.opts;
    this.startedAt = this.opts.now().toISOString();
    const p = new WasiProcess({ ...this.opts, stdin: stdio.stdin, onOutput: (fd, data) => this.output(fd, data) });
    this.process = p;
    this.resolveReady(p);
    void p.exited.then(async (e) => {
      this.lines.flush();
      await this.opts.log.close().catch(() => {});
      for (const c of this.clients) { try { c.close(); } catch { /* cancelled */ } }
      this.clients.clear();
      this.opts.onEnd?.();
      this.resolveExit({
        exitCode: e.code, signal: e.signal ?? null, oomKilled: false, startedAt: this.startedAt,
        finishedAt: this.opts.now().toISOString(),
      });
    });
    await p.started;
  }

  private output(fd: 1 | 2, data: Uint8Array): void {
    if (this.tty) {
      // One terminal: both streams are the container's stdout, as a pty makes them.
      ({ data, lastWasCr: this.lastWasCr } = ttyOutput(data, this.lastWasCr));
      fd = 1;
    }
    this.lines.push(fd === 1 ? 'stdout' : 'stderr', data);
    const chunk = this.tty ? data : frame(fd, data);
    for (const c of this.clients) { try { c.enqueue(chunk); } catch { this.clients.delete(c); } }
  }

  async attach(): Promise<StreamPair> {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({
      start: (c) => { controller = c; this.clients.add(c); },
      cancel: () => { this.clients.delete(controller); },
    });
    const writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (!this.opts.stdio.stdin || this.stdinClosed) return;
        if (!this.tty) { await (await this.ready).writeStdin(chunk); return; }
        for (const e of this.tty.feed(chunk)) {
          if (e.kind === 'echo') this.output(1, e.data);
          else if (e.kind === 'data') await (await this.ready).writeStdin(e.data);
          else if (e.kind === 'eof') await this.closeStdin();
          else await this.kill(e.signal);
        }
      },
      // The shim's rule: a client's EOF closes stdin only for a stdin-once container.
      close: async () => { if (this.opts.stdio.stdinOnce) await this.closeStdin(); },
    });
    void this.exit.then(() => { try { controller.close(); } catch { /* closed */ } });
    return { readable, writable };
  }

  async resize(): Promise<void> { /* no terminal size in WASI preview 1 */ }

  async closeStdin(): Promise<void> {
    if (this.stdinClosed) return;
    this.stdinClosed = true;
    await (await this.ready).closeStdin();
  }

  async kill(signal: number): Promise<void> {
    this.process?.kill(signal);
  }

  wait(): Promise<ExitStatus> { return this.exit; }

  async pause(): Promise<void> { throw unsupported('pause'); }
  async resume(): Promise<void> { throw unsupported('unpause'); }
  async update(): Promise<void> { /* limits apply when the module starts */ }
  async stats(): Promise<Record<string, unknown>> { throw unsupported('stats'); }
  async top(): Promise<{ Titles: string[]; Processes: string[][] }> { throw unsupported('top'); }
  async exec(): Promise<ProcessTask> { throw unsupported('exec'); }
  close(): void { /* nothing is held open outside the worker */ }
}
