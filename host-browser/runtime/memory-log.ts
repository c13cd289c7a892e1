// A container's log kept in memory (the browser has no json-file log): entries split into lines
// as dockerd's json-file driver does (core's LineSplitter, as the WASI runtime's), capped so a
// chatty container cannot take the page's memory.
import type { LogEntry, LogReadOptions } from '../../core/engine/containers/runtime.ts';
import { parseTimestampNanos } from '../../core/api/query.ts';
import { LineSplitter } from '../../core/wasi/logs.ts';

const MAX_BYTES = 4 * 1024 * 1024;

export class MemoryLog {
  private readonly entries: LogEntry[] = [];
  private bytes = 0;
  private waiters: (() => void)[] = [];
  private readonly lines = new LineSplitter((stream, line) => this.push(stream, line));

  append(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    this.lines.push(stream, data);
  }

  /** The last line without a newline (the container ended). */
  flush(): void {
    this.lines.flush();
  }

  private push(stream: 'stdout' | 'stderr', line: Uint8Array): void {
    this.entries.push({ stream, line, time: new Date().toISOString() });
    this.bytes += line.byteLength;
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
