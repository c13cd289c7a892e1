// GET /containers/{id}/logs: the json-file log as multiplexed frames (raw with a TTY), with
// tail, since/until, timestamps and follow until the container stops.
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import type { Container } from './container.ts';
import { frame } from './stdcopy.ts';
import { concatBytes } from '../../bytes.ts';

export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  timestamps: boolean;
  /** `--details`: the entry's attributes (none from the json-file driver here) and a space before each line. */
  details?: boolean;
  tail?: number;
  since?: bigint;
  until?: bigint;
}

const enc = new TextEncoder();

/** RFC 3339 with exactly nine fraction digits, as dockerd prints timestamps. */
export function fixedNano(t: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return t;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

export async function writeLogs(svc: ContainerService, c: Container, opts: LogsOptions, write: (b: Uint8Array) => Promise<void>, signal: AbortSignal): Promise<void> {
  const tty = !!c.rec.Config.Tty;
  const stopped = opts.follow && c.running ? c.nextExit() : Promise.resolve();
  for await (const entry of svc.runtime.readLogs(c.rec, {
    ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
    ...(opts.since !== undefined ? { since: opts.since } : {}),
    ...(opts.until !== undefined ? { until: opts.until } : {}),
    follow: opts.follow && c.running, signal, stopped,
  })) {
    if (entry.stream === 'stdout' ? !opts.stdout : !opts.stderr) continue;
    let data = entry.line;
    if (opts.timestamps || opts.details) {
      const prefix = enc.encode(`${opts.timestamps ? `${fixedNano(entry.time)} ` : ''}${opts.details ? ' ' : ''}`);
      const b = new Uint8Array(prefix.length + data.length);
      b.set(prefix); b.set(data, prefix.length);
      data = b;
    }
    await write(tty ? data : frame(entry.stream === 'stdout' ? 1 : 2, data));
  }
}

export function containerLogs(svc: ContainerService, ref: string, opts: LogsOptions): { tty: boolean; body: ReadableStream<Uint8Array> } {
  const c = svc.get(ref);
  if (!opts.stdout && !opts.stderr) throw new BerthError('invalid_argument', 'Bad parameters: you must choose at least one stream');
  const driver = c.rec.HostConfig.LogConfig?.Type ?? 'json-file';
  if (driver === 'none') throw new BerthError('unsupported', `configured logging driver does not support reading`, { status: 501 });
  const abort = new AbortController();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // Entries are gathered into chunks of up to 64 KiB (or what arrived by the next turn of the event
      // loop): one chunk per 40-byte line made a long log an HTTP write, and a syscall, per line.
      let pending: Uint8Array[] = [];
      let size = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const flush = () => {
        if (timer) { clearTimeout(timer); timer = undefined; }
        if (!size) return;
        controller.enqueue(concatBytes(pending));
        pending = [];
        size = 0;
      };
      writeLogs(svc, c, opts, async (b) => {
        pending.push(b);
        size += b.length;
        if (size >= 64 * 1024) flush();
        else timer ??= setTimeout(flush, 0);
      }, abort.signal)
        .then(() => { flush(); controller.close(); }, (e: unknown) => { flush(); if (!abort.signal.aborted) controller.error(e); });
    },
    cancel() { abort.abort(); },
  });
  return { tty: !!c.rec.Config.Tty, body };
}
