// Attached stdio as docker's hijackedIOStreamer runs it: one hijacked connection per attach or
// exec; the output (raw with a TTY, else demultiplexed) copied to stdout/stderr, stdin copied in
// and the connection half-closed at its end, the local terminal in raw mode while attached with a
// TTY, and the detach keys watched on stdin.
import { decodeError, encodeQuery, DaemonUnreachableError, type Query } from './api-client.ts';
import type { CommandContext } from './command.ts';
import { DEFAULT_DETACH_KEYS, detachKeyBytes, EscapeProxy } from './detach-keys.ts';
import type { HijackedConnection, InStream } from './host.ts';
import { demultiplex } from './stdcopy.ts';

/** The user typed the detach keys (`read escape sequence`, as moby/term's EscapeError says). */
export class DetachedError extends Error {
  constructor() {
    super('read escape sequence');
    this.name = 'DetachedError';
  }
}

/** POSTs `path` with Upgrade: tcp; the daemon's refusal is thrown as a DaemonError. */
export async function hijack(ctx: CommandContext, path: string, opts: { query?: Query; json?: unknown } = {}): Promise<HijackedConnection> {
  const api = await ctx.api();
  const open = ctx.host.daemonHijack?.(api.address);
  if (!open) throw new Error('this berth host cannot attach to containers');
  const headers: Record<string, string> = { 'User-Agent': `Berth-Client/${ctx.host.build.version} (${ctx.host.build.os})` };
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  let result;
  try {
    result = await open(`http://api.moby.localhost/v${api.version}${path}${encodeQuery(opts.query)}`, { method: 'POST', headers, body });
  } catch (e) {
    throw new DaemonUnreachableError(api.address, { cause: e });
  }
  if (!result.connection) throw await decodeError(result.response);
  return result.connection;
}

export interface StreamOptions {
  tty: boolean;
  /** Present when stdin is attached. */
  stdin?: InStream;
  /** Write stdout/stderr (false for streams not attached). */
  stdout: boolean;
  stderr: boolean;
  /** `--detach-keys` (default ctrl-p,ctrl-q); the CLI watches for them only with a TTY. */
  detachKeys?: string;
}

/**
 * Runs the streams until the daemon closes the output (the process ended) or the detach keys are
 * typed (DetachedError). Without stdin the connection is half-closed at once, as docker does.
 */
export async function streamHijacked(ctx: CommandContext, conn: HijackedConnection, opts: StreamOptions): Promise<void> {
  const terminal = ctx.host.terminal;
  const raw = !!(opts.tty && opts.stdin && opts.stdin.isTTY && terminal);
  if (raw) terminal!.setRawMode(true);
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let stopInput = false;
  try {
    const output = (async () => {
      const out = (d: Uint8Array) => (opts.stdout ? ctx.host.stdout.write(d) : Promise.resolve());
      const err = (d: Uint8Array) => (opts.stderr ? ctx.host.stderr.write(d) : Promise.resolve());
      if (opts.tty) {
        const r = conn.output.getReader();
        for (;;) {
          const { done, value } = await r.read();
          if (done) return;
          await out(value);
        }
      }
      await demultiplex(conn.output, out, err);
    })();

    let detached = false;
    const input = (async () => {
      if (!opts.stdin) {
        await conn.closeWrite().catch(() => {});
        return;
      }
      let keys = DEFAULT_DETACH_KEYS;
      if (opts.detachKeys) {
        try { keys = detachKeyBytes(opts.detachKeys); } catch { /* docker warns and keeps the default */ }
      }
      const proxy = opts.tty ? new EscapeProxy(keys) : undefined;
      reader = opts.stdin.stream().getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done || stopInput) break;
          const { data, detached: d } = proxy ? proxy.feed(value) : { data: value, detached: false };
          if (data.length) await conn.write(data);
          if (d) { detached = true; return; }
        }
      } catch {
        // A connection the daemon closed, or stdin gone: the output side decides how this ends.
      }
      await conn.closeWrite().catch(() => {});
    })();

    // Output ending ends the session; input ending only half-closes, unless it was a detach.
    const first = await Promise.race([output.then(() => 'output' as const), input.then(() => 'input' as const)]);
    if (first === 'input') {
      if (detached) {
        conn.close();
        output.catch(() => {});
        throw new DetachedError();
      }
      await output;
    }
  } finally {
    stopInput = true;
    if (raw) terminal!.setRawMode(false);
    reader?.cancel().catch(() => {});
  }
}

/** Resizes the container's (or exec's) TTY to the terminal now and on every SIGWINCH; returns the stop function. */
export function monitorTtySize(ctx: CommandContext, resize: (h: number, w: number) => Promise<void>): () => void {
  const terminal = ctx.host.terminal;
  if (!terminal || !ctx.host.stdout.isTTY) return () => {};
  const apply = async (retries: number) => {
    const size = terminal.size();
    if (!size || (size.height === 0 && size.width === 0)) return;
    for (let i = 0; ; i++) {
      try {
        await resize(size.height, size.width);
        return;
      } catch (e) {
        // The process may not have its TTY yet right after start: docker retries briefly.
        if (i >= retries) {
          await ctx.err(`failed to resize tty, using default size\n`);
          return;
        }
        await new Promise((r) => setTimeout(r, 10 * (i + 1)));
        void e;
      }
    }
  };
  void apply(10);
  return terminal.onResize(() => { void apply(0); });
}
