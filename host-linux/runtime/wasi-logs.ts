// A wasm container's log on Linux: the json-file log berth-shim writes for Linux containers, in
// the same place and format, so `logs` reads both alike (json-log.ts).
import { appendFile, rm } from 'node:fs/promises';
import type { ContainerRecord } from '../../core/engine/containers/types.ts';
import type { LogWriter, WasiLogs } from '../../core/wasi/logs.ts';
import { readJsonLog } from './json-log.ts';

const dec = new TextDecoder();

export function jsonFileLogs(logPath: (rec: ContainerRecord) => string): WasiLogs {
  return {
    writer(rec): LogWriter {
      const path = logPath(rec);
      let pending: string[] = [];
      let flushing: Promise<void> = Promise.resolve();
      const flush = (): Promise<void> => {
        flushing = flushing.then(async () => {
          if (!pending.length) return;
          const text = pending.join('');
          pending = [];
          await appendFile(path, text, { mode: 0o640 });
        }).catch(() => { /* a log that cannot be written must not stop the container */ });
        return flushing;
      };
      return {
        write(entry) {
          pending.push(`${JSON.stringify({ log: dec.decode(entry.line), stream: entry.stream, time: entry.time })}\n`);
          // Lines written in the same turn go to the file in one append.
          if (pending.length === 1) queueMicrotask(() => { void flush(); });
        },
        close: flush,
      };
    },
    read: (rec, opts) => readJsonLog(logPath(rec), opts),
    remove: async (rec) => { await rm(logPath(rec), { force: true }); },
  };
}
