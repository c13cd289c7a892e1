// Joins a client's hijacked connection to a process's stdio in the supervisor: output until the
// process ends, stdin until the client half-closes (which half-closes towards the supervisor).
import type { StreamPair } from './runtime.ts';
import { demuxFilter } from './stdcopy.ts';
import { detachScanner } from './detach-keys.ts';

export interface PumpOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** `ctrl-p,ctrl-q` by default; the client is cut off (the process keeps running) when typed. */
  detachKeys?: string;
  /** Called when the client half-closes its stdin (an exec's stdin is closed then, as dockerd does). */
  onStdinEnd?: () => Promise<void>;
}

export async function pump(proc: StreamPair, client: StreamPair, opts: PumpOptions): Promise<void> {
  let output = proc.readable;
  if (!opts.tty && !(opts.stdout && opts.stderr)) {
    output = output.pipeThrough(demuxFilter((s) => (s === 1 && opts.stdout) || (s === 2 && opts.stderr)));
  }
  const detached = new AbortController();
  // The caller ends the connection: an exec must record its exit code first.
  const out = output.pipeTo(client.writable, { signal: detached.signal, preventClose: true }).catch(() => {});
  const input = (async () => {
    if (!opts.stdin) {
      // Nothing to forward, but reading notices the client leaving; EOF (half-close) is not leaving.
      const r = client.readable.getReader();
      try { while (!(await r.read()).done) { /* discard */ } } catch { /* gone */ }
      // No half-close towards the supervisor: that would close a stdin-once container's stdin.
      return;
    }
    const scan = opts.tty ? detachScanner(opts.detachKeys) : undefined;
    const reader = client.readable.getReader();
    const writer = proc.writable.getWriter();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (scan) {
          const { data, detach } = scan(value);
          if (data.length) await writer.write(data);
          if (detach) { detached.abort(); await client.writable.close().catch(() => {}); break; }
        } else {
          await writer.write(value);
        }
      }
      await writer.close();
      await opts.onStdinEnd?.().catch(() => {});
    } catch {
      await writer.abort().catch(() => {});
    }
  })();
  await Promise.race([out, input.then(() => (detached.signal.aborted ? undefined : out))]);
  await client.readable.cancel().catch(() => {});
  await proc.writable.abort().catch(() => {});
  await proc.readable.cancel().catch(() => {});
}
