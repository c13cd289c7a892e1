// A container's log kept in memory, for hosts without a json-file log (the browser; wasm containers
// in tests): entries in order, capped so a chatty container cannot take the page's memory, read
// with dockerd's tail/since/until and followed until the container stops.
import type { LogEntry, LogReadOptions } from './runtime.ts';
import { parseTimestampNanos } from '../../api/query.ts';

const MAX_BYTES = 4 * 1024 * 1024;

export class MemoryLog {
  private readonly entries: LogEntry[] = [];
  private bytes = 0;
  private waiters: (() => void)[] = [];

  write(entry: LogEntry): void {
    this.entries.push(entry);
    this.bytes += entry.line.byteLength;
    while (this.bytes > MAX_BYTES && this.entries.length > 1) this.bytes -= this.entries.shift()!.line.byteLength;
    for (const w of this.waiters.splice(0)) w();
  }

  async *read(opts: LogReadOptions): AsyncGenerator<LogEntry> {
    const inWindow = (e: LogEntry) => {
      const t = parseTimestampNanos(e.time);
      return (opts.since === undefined || t > opts.since) && (opts.until === undefined || t <= opts.until);
    };
    let list = this.entries.filter(inWindow);
    if (opts.tail !== undefined) list = opts.tail === 0 ? [] : list.slice(-opts.tail);
    for (const e of list) yield e;
    if (!opts.follow) return;
    // The cap drops entries from the front: the last one seen, not an index, says where to go on.
    let seen = this.entries.length ? this.entries[this.entries.length - 1] : undefined;
    let stopped = false;
    void opts.stopped.then(() => { stopped = true; for (const w of this.waiters.splice(0)) w(); });
    while (!opts.signal.aborted) {
      const from = seen ? this.entries.lastIndexOf(seen) + 1 : 0;
      for (const e of this.entries.slice(from)) {
        seen = e;
        if (!inWindow(e)) { if (opts.until !== undefined && parseTimestampNanos(e.time) > opts.until) return; continue; }
        yield e;
      }
      if (stopped) return;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        opts.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }
}
