// One command run from the playground's shell, in the role of a process: its stdin fed by the
// terminal (through the line discipline unless the CLI put the terminal in raw mode), the signal
// handlers it installed, and a kill switch: ctrl-c with no handler ends it as SIGINT ends a
// process — its daemon requests are aborted and its later output dropped.
import type { InStream } from '../../core/cli/host.ts';
import { LineDiscipline } from './line-discipline.ts';
import type { TerminalDevice } from './terminal-device.ts';

/** The exit status of a process killed by SIGINT (128 + 2), as sh reports it. */
export const SIGINT_STATUS = 130;

export class CliProcess {
  private readonly discipline = new LineDiscipline();
  /** Input ready for reads: completed lines in cooked mode, keystrokes in raw mode. */
  private queue = '';
  private eof = false;
  private waiters: Array<() => void> = [];
  private readonly signalHandlers = new Set<(signal: string) => void>();
  private readonly abort = new AbortController();
  private readonly encoder = new TextEncoder();
  /** Resolves with the exit status when the process is killed. */
  readonly killed: Promise<number>;
  private kill!: (status: number) => void;

  constructor(readonly tty: TerminalDevice) {
    this.killed = new Promise((resolve) => { this.kill = resolve; });
  }

  /** Aborted when the process is killed: its fetches and connections end with it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get alive(): boolean {
    return !this.abort.signal.aborted;
  }

  /** Typed input while this process is in the foreground. */
  input(data: string): void {
    if (!this.alive) return;
    if (this.tty.rawMode) {
      this.queue += data;
      this.notify();
      return;
    }
    for (const ev of this.discipline.feed(data)) {
      if (ev.kind === 'echo') void this.tty.write(ev.text);
      else if (ev.kind === 'line') this.queue += ev.text;
      else if (ev.kind === 'eof') this.eof = true;
      else this.raise('SIGINT');
    }
    this.notify();
  }

  /** Delivers `signal` to the handlers the CLI installed, or kills the process when there are none. */
  raise(signal: string): void {
    if (!this.alive) return;
    if (this.signalHandlers.size) {
      for (const h of this.signalHandlers) h(signal);
      return;
    }
    this.terminate(SIGINT_STATUS);
  }

  /** Ends the process (ctrl-c, or the page tearing the shell down). */
  terminate(status: number): void {
    if (!this.alive) return;
    this.abort.abort(new Error('killed'));
    this.eof = true;
    this.notify();
    this.kill(status);
  }

  onSignal(cb: (signal: string) => void): () => void {
    this.signalHandlers.add(cb);
    return () => { this.signalHandlers.delete(cb); };
  }

  /** Writes the process's output unless it was killed. */
  write(data: string | Uint8Array): Promise<void> {
    return this.alive ? this.tty.write(data) : Promise.resolve();
  }

  readonly stdin: InStream = {
    isTTY: true,
    readLine: () => this.readLine(),
    readSecret: async () => {
      this.discipline.echo = false;
      try {
        const line = await this.readLine();
        void this.tty.write('\r\n');
        return line;
      } finally {
        this.discipline.echo = true;
      }
    },
    stream: () => new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const chunk = await this.take((q) => q.length);
        if (chunk === undefined) c.close();
        else c.enqueue(this.encoder.encode(chunk));
      },
    }),
  };

  private async readLine(): Promise<string | undefined> {
    const line = await this.take((q) => {
      const nl = q.indexOf('\n');
      return nl >= 0 ? nl + 1 : this.eof ? q.length : 0;
    });
    return line?.replace(/\n$/, '');
  }

  /**
   * Waits until `ready` says how much of the queue to hand out (0: not yet), or until end of input
   * (undefined when nothing is left).
   */
  private async take(ready: (queue: string) => number): Promise<string | undefined> {
    for (;;) {
      const n = this.queue.length ? ready(this.queue) : 0;
      if (n > 0) {
        const chunk = this.queue.slice(0, n);
        this.queue = this.queue.slice(n);
        return chunk;
      }
      if (this.eof) {
        // ctrl-d ends one read, as on a terminal; the next read waits for new input.
        if (this.alive) this.eof = false;
        return undefined;
      }
      await new Promise<void>((resolve) => { this.waiters.push(resolve); });
    }
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
