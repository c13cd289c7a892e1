// Reading the json-file log the shim writes (`{"log":"...","stream":"stdout","time":"..."}` per
// line): all or the last N entries, since/until, and following new lines until the container stops.
import { open, stat } from 'node:fs/promises';
import type { LogEntry, LogReadOptions } from '../../core/engine/containers/runtime.ts';
import { parseTimestampNanos } from '../../core/api/query.ts';

interface RawEntry { log?: string; stream?: string; time?: string }

function parseLine(line: string): LogEntry | undefined {
  if (!line.trim()) return undefined;
  try {
    const e = JSON.parse(line) as RawEntry;
    return { stream: e.stream === 'stderr' ? 'stderr' : 'stdout', line: Buffer.from(e.log ?? '', 'utf8'), time: e.time ?? '' };
  } catch { return undefined; }
}

function inWindow(e: LogEntry, opts: LogReadOptions): boolean {
  if (opts.since === undefined && opts.until === undefined) return true;
  let t: bigint;
  try { t = parseTimestampNanos(e.time); } catch { return true; }
  if (opts.since !== undefined && t <= opts.since) return false;
  if (opts.until !== undefined && t > opts.until) return false;
  return true;
}

async function readFrom(path: string, offset: number): Promise<{ text: string; end: number }> {
  let fh;
  try { fh = await open(path, 'r'); } catch { return { text: '', end: offset }; }
  try {
    const size = (await fh.stat()).size;
    if (size < offset) offset = 0; // rotated or truncated
    if (size === offset) return { text: '', end: offset };
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    // Only whole lines; a line being written is read next time.
    const last = text.lastIndexOf('\n');
    if (last < 0) return { text: '', end: offset };
    return { text: text.slice(0, last + 1), end: offset + Buffer.byteLength(text.slice(0, last + 1)) };
  } finally {
    await fh.close();
  }
}

export async function* readJsonLog(path: string, opts: LogReadOptions): AsyncGenerator<LogEntry> {
  // A rotated file (`.1`) holds older lines.
  let older: LogEntry[] = [];
  const rotated = await readFrom(`${path}.1`, 0);
  if (rotated.text) older = rotated.text.split('\n').map(parseLine).filter((e): e is LogEntry => !!e);
  const first = await readFrom(path, 0);
  let offset = first.end;
  let entries = [...older, ...first.text.split('\n').map(parseLine).filter((e): e is LogEntry => !!e)].filter((e) => inWindow(e, opts));
  if (opts.tail !== undefined) entries = opts.tail === 0 ? [] : entries.slice(-opts.tail);
  for (const e of entries) yield e;
  if (!opts.follow) return;
  let stopped = false;
  void opts.stopped.then(() => { stopped = true; });
  while (!opts.signal.aborted) {
    const wasStopped = stopped;
    const next = await readFrom(path, offset);
    offset = next.end;
    for (const e of next.text.split('\n').map(parseLine)) {
      if (!e || !inWindow(e, opts)) continue;
      if (opts.until !== undefined && parseTimestampNanos(e.time) > opts.until) return;
      yield e;
    }
    // One more read after the stop, so the last lines the shim wrote are not lost.
    if (wasStopped) return;
    if (!stopped) {
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(t); opts.signal.removeEventListener('abort', done); resolve(); };
        const t = setTimeout(done, 100);
        opts.signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}

export async function logSize(path: string): Promise<number> {
  try { return (await stat(path)).size; } catch { return 0; }
}
