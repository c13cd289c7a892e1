// The daemon's JSON message streams (pull, push, load, build) rendered as docker's jsonmessage
// package does: on a terminal, one line per layer id updated in place with cursor movement and
// progress bars; elsewhere, plain lines only when a status changes, with no progress lines.
import { humanSize } from './units.ts';

export interface JSONProgress {
  current?: number;
  total?: number;
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

export interface JSONMessage {
  stream?: string;
  status?: string;
  progressDetail?: JSONProgress;
  progress?: string;
  id?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  errorDetail?: { code?: number; message?: string };
  error?: string;
  aux?: unknown;
}

/** A `{"error"}` message: the command fails with its text (exit 1). */
export class StreamError extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
    this.name = 'StreamError';
  }
}

export interface RenderOptions {
  isTerminal: boolean;
  /** Terminal columns; progress bars need more than 110. */
  width?: number;
  now?: () => Date;
  onAux?: (aux: unknown, message: JSONMessage) => void;
}

/** `[=====>     ]  12.3MB/45.6MB 3s`, as JSONProgress.String() draws it. */
export function progressString(p: JSONProgress, width = 200, now: Date = new Date()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) {
    if (!p.units) return humanSize(current).padStart(8);
    return `${current} ${p.units}`;
  }
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = '';
  if (width > 110) {
    bar = `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] `;
  }
  let numbers = '';
  if (p.hidecounts) {
    numbers = '';
  } else if (!p.units) {
    numbers = `${humanSize(current).padStart(8)}/${humanSize(total)}`;
    if (current > total) numbers = humanSize(current).padStart(8);
  } else {
    numbers = `${current}/${total} ${p.units}`;
    if (current > total) numbers = `${current} ${p.units}`;
  }
  let timeLeft = '';
  if (current > 0 && p.start && p.start > 0 && percentage < 50) {
    const fromStartNs = (now.getTime() - p.start * 1000) * 1e6;
    const perEntry = Math.trunc(fromStartNs / current);
    const leftSeconds = Math.trunc(((total - current) * perEntry) / 1e9);
    if (width > 50) timeLeft = ' ' + goDurationSeconds(leftSeconds);
  }
  return bar + numbers + timeLeft;
}

/** Go's time.Duration.String() for whole seconds: `0s`, `45s`, `1m30s`, `2h0m5s`. */
export function goDurationSeconds(s: number): string {
  if (s <= 0) return '0s';
  const h = Math.trunc(s / 3600);
  const m = Math.trunc((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

const RFC3339_NANO_FIXED = (ns: bigint): string => {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  // The host's zone, as Go's time.Unix(...).Format does.
  const off = -d.getTimezoneOffset();
  const local = new Date(ms + off * 60_000);
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${frac}${zone}`;
};

/** The text JSONMessage.Display writes for one message (throws StreamError for errors). */
export function displayMessage(jm: JSONMessage, opts: RenderOptions): string {
  if (jm.errorDetail) throw new StreamError(jm.errorDetail.message ?? jm.error ?? '', jm.errorDetail.code);
  if (jm.error) throw new StreamError(jm.error);
  let out = '';
  let endl = '';
  const width = opts.width ?? 200;
  const now = opts.now?.() ?? new Date();
  if (opts.isTerminal && !jm.stream && jm.progressDetail) {
    out += '\x1b[2K';
    endl = '\r';
    out += endl;
  } else if (jm.progressDetail && progressString(jm.progressDetail, width, now) !== '') {
    // Progress lines are for terminals only.
    return '';
  }
  if (jm.timeNano) out += RFC3339_NANO_FIXED(BigInt(jm.timeNano)) + ' ';
  else if (jm.time) out += RFC3339_NANO_FIXED(BigInt(jm.time) * 1_000_000_000n) + ' ';
  if (jm.id) out += `${jm.id}: `;
  if (jm.from) out += `(from ${jm.from}) `;
  const status = jm.status ?? '';
  if (jm.progressDetail && opts.isTerminal) out += `${status} ${progressString(jm.progressDetail, width, now)}${endl}`;
  else if (jm.progress) out += `${status} ${jm.progress}${endl}`;
  else if (jm.stream) out += `${jm.stream}${endl}`;
  else out += `${status}${endl}\n`;
  return out;
}

/**
 * Renders messages as DisplayJSONMessagesStream does. Feed it messages one by one; each call
 * returns what to write. A terminal gets one line per id, redrawn in place.
 */
export class JSONMessageRenderer {
  private ids = new Map<string, number>();
  constructor(private readonly opts: RenderOptions) {}

  render(jm: JSONMessage): string {
    if (jm.aux !== undefined) {
      this.opts.onAux?.(jm.aux, jm);
      return '';
    }
    let out = '';
    let diff = 0;
    const tty = this.opts.isTerminal;
    if (jm.id && (jm.progressDetail || jm.progress)) {
      let line = this.ids.get(jm.id);
      if (line === undefined) {
        // Relies on clearing ids whenever a line without an id is printed (see below).
        line = this.ids.size;
        this.ids.set(jm.id, line);
        if (tty) out += '\n';
      }
      diff = this.ids.size - line;
      if (tty && diff > 0) out += `\x1b[${diff}A`;
    } else {
      // Lines from an earlier operation (pull -a) must not be redrawn.
      this.ids = new Map();
    }
    try {
      out += displayMessage(jm, this.opts);
    } finally {
      if (jm.id && tty && diff > 0) out += `\x1b[${diff}B`;
    }
    return out;
  }
}

/** Splits a byte stream of concatenated JSON values (newline separated or not) into objects. */
export async function* decodeJSONStream(body: ReadableStream<Uint8Array>, opts: { bigIntKeys?: string[] } = {}): AsyncGenerator<JSONMessage> {
  // Nanosecond timestamps exceed 2^53: keep their digits as BigInt instead of rounding them.
  const bigRe = opts.bigIntKeys?.length ? new RegExp(`"(${opts.bigIntKeys.join('|')})"\\s*:\\s*(-?\\d{16,})`, 'g') : undefined;
  const parse = (text: string): JSONMessage => {
    if (!bigRe) return JSON.parse(text) as JSONMessage;
    const mark = '#berth-bigint#';
    return JSON.parse(text.replace(bigRe, `"$1":"${mark}$2"`), (_k, v) => (typeof v === 'string' && v.startsWith(mark) ? BigInt(v.slice(mark.length)) : v)) as JSONMessage;
  };
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buf = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let scanned = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      for (let i = scanned; i < buf.length; i++) {
        const c = buf[i];
        if (inString) {
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') inString = false;
          continue;
        }
        if (c === '"') inString = true;
        else if (c === '{' || c === '[') { if (depth++ === 0) start = i; }
        else if (c === '}' || c === ']') {
          if (--depth === 0 && start >= 0) {
            const text = buf.slice(start, i + 1);
            yield parse(text);
            buf = buf.slice(i + 1);
            i = -1;
            start = -1;
          }
        } else if (depth === 0 && !/\s/.test(c!)) {
          throw new Error(`invalid character ${JSON.stringify(c)} looking for beginning of value`);
        }
      }
      scanned = buf.length;
    }
  } finally {
    reader.releaseLock();
  }
  if (depth !== 0) throw new Error('unexpected EOF');
}

/** Renders a whole stream to `write`; resolves when it ends, rejects with StreamError on `{"error"}`. */
export async function displayJSONMessages(body: ReadableStream<Uint8Array>, write: (s: string) => Promise<void>, opts: RenderOptions): Promise<void> {
  const r = new JSONMessageRenderer(opts);
  for await (const jm of decodeJSONStream(body)) {
    const text = r.render(jm);
    if (text) await write(text);
  }
}
