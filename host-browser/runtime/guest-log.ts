// A guest container's log: its output split into lines as dockerd's json-file driver does (core's
// LineSplitter, as the WASI runtime's), kept in core's capped MemoryLog.
import { MemoryLog } from '../../core/engine/containers/memory-log.ts';
import { LineSplitter } from '../../core/wasi/logs.ts';

export class GuestLog extends MemoryLog {
  private readonly lines = new LineSplitter((stream, line) => this.write({ stream, line, time: new Date().toISOString() }));

  append(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    this.lines.push(stream, data);
  }

  /** The last line without a newline (the container ended). */
  flush(): void {
    this.lines.flush();
  }
}
