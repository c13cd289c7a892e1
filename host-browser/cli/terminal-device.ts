// The terminal as the CLI's processes see it: the screen (xterm, or anything of its shape), output
// post-processing (LF -> CRLF, as the tty's onlcr, off in raw mode like docker's cfmakeraw), the
// mode, the size, and where typed input goes (the shell's prompt or the running command).

/** What the device needs from xterm's Terminal (which has exactly this shape). */
export interface TerminalScreen {
  readonly cols: number;
  readonly rows: number;
  write(data: string | Uint8Array, callback?: () => void): void;
  onData(listener: (data: string) => void): { dispose(): void };
  onResize(listener: (size: { cols: number; rows: number }) => void): { dispose(): void };
  clear(): void;
}

const LF = 0x0a;
const CR = 0x0d;

/** LF -> CRLF; a CRLF stays as it is. */
export function crlf(data: string | Uint8Array): string | Uint8Array {
  if (typeof data === 'string') return data.replace(/\r?\n/g, '\r\n');
  let extra = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === LF && data[i - 1] !== CR) extra++;
  if (!extra) return data;
  const out = new Uint8Array(data.length + extra);
  let j = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === LF && data[i - 1] !== CR) out[j++] = CR;
    out[j++] = data[i]!;
  }
  return out;
}

export class TerminalDevice {
  private raw = false;
  private input: ((data: string) => void) | undefined;
  private readonly resizeListeners = new Set<() => void>();

  constructor(readonly screen: TerminalScreen) {
    screen.onData((data) => this.input?.(data));
    screen.onResize(() => { for (const l of this.resizeListeners) l(); });
  }

  get rawMode(): boolean {
    return this.raw;
  }

  setRawMode(on: boolean): void {
    this.raw = on;
  }

  /** Resolves once the screen took the data in (xterm parses asynchronously): backpressure. */
  write(data: string | Uint8Array): Promise<void> {
    if (data.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.screen.write(this.raw ? data : crlf(data), resolve));
  }

  /** Routes typed input to `handler` (the foreground reader) until the next call. */
  setInput(handler: ((data: string) => void) | undefined): void {
    this.input = handler;
  }

  size(): { height: number; width: number } {
    return { height: this.screen.rows, width: this.screen.cols };
  }

  onResize(cb: () => void): () => void {
    this.resizeListeners.add(cb);
    return () => { this.resizeListeners.delete(cb); };
  }
}
