// A wasm container's log: its output cut into lines per stream as berth-shim cuts it for the
// json-file driver (a line ends at \n; what is left at the exit is written as it is). Where the lines
// are kept is the host's: the json-file log on Linux, memory in the browser (MemoryLogs).
import type { ContainerRecord } from '../engine/containers/types.ts';
import type { LogEntry, LogReadOptions } from '../engine/containers/runtime.ts';
import { concatBytes } from '../bytes.ts';
import { MemoryLog } from '../engine/containers/memory-log.ts';

export interface LogWriter {
  write(entry: LogEntry): void;
  /** Resolves once every entry is stored. */
  close(): Promise<void>;
}

export interface WasiLogs {
  writer(rec: ContainerRecord): LogWriter;
  read(rec: ContainerRecord, opts: LogReadOptions): AsyncIterable<LogEntry>;
  remove?(rec: ContainerRecord): Promise<void>;
}

/** Splits chunks into lines per stream. */
export class LineSplitter {
  private readonly partial: Record<'stdout' | 'stderr', Uint8Array[]> = { stdout: [], stderr: [] };

  constructor(private readonly emit: (stream: 'stdout' | 'stderr', line: Uint8Array) => void) {}

  push(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    let start = 0;
    for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, start)) {
      this.emitLine(stream, data.subarray(start, i + 1));
      start = i + 1;
    }
    if (start < data.length) this.partial[stream].push(data.slice(start));
  }

  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) if (this.partial[stream].length) this.emitLine(stream, new Uint8Array(0));
  }

  private emitLine(stream: 'stdout' | 'stderr', tail: Uint8Array): void {
    const parts = this.partial[stream];
    this.partial[stream] = [];
    this.emit(stream, concatBytes([...parts, tail]));
  }
}

/** Nanosecond-resolution time in the json-file format, from a millisecond clock plus a sequence, so lines keep their order. */
export function logTime(now: Date, seq: number): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 23)}${String(seq % 1_000_000).padStart(6, '0')}Z`;
}

/** Logs kept in memory (the browser host, tests): one capped MemoryLog per container. */
export class MemoryLogs implements WasiLogs {
  private readonly logs = new Map<string, MemoryLog>();

  private log(id: string): MemoryLog {
    let l = this.logs.get(id);
    if (!l) { l = new MemoryLog(); this.logs.set(id, l); }
    return l;
  }

  writer(rec: ContainerRecord): LogWriter {
    const l = this.log(rec.Id);
    return { write: (entry) => l.write(entry), close: async () => {} };
  }

  read(rec: ContainerRecord, opts: LogReadOptions): AsyncIterable<LogEntry> {
    return this.log(rec.Id).read(opts);
  }

  async remove(rec: ContainerRecord): Promise<void> { this.logs.delete(rec.Id); }
}
