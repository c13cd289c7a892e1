// Docker's JSON message stream (pull, push, load, events): one JSON object per line, `\r\n`
// separated, and the progress strings dockerd renders (pkg/jsonmessage).
import { BerthError, errorMessage } from '../errors.ts';
import { humanSize } from '../cli/units.ts';

export interface ProgressDetail { current?: number; total?: number }

export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: ProgressDetail;
  stream?: string;
  aux?: unknown;
  error?: string;
  errorDetail?: { message: string; code?: number };
}

/** Where an operation reports its progress, as Docker's JSON messages. */
export type ProgressSink = (m: JsonMessage) => void;

/** The bar dockerd puts in `progress` (a daemon renders it 200 columns wide, so the bar is shown). */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

/** A progress message with both the rendered bar and the numbers (the CLI draws its own bar from them). */
export function progressMessage(status: string, id: string, current: number, total: number): JsonMessage {
  return { status, progressDetail: { current, total }, progress: progressBar(current, total), id };
}

export function errorJsonMessage(e: unknown): JsonMessage {
  const message = errorMessage(e);
  return { error: message, errorDetail: { message } };
}

const encoder = new TextEncoder();

export function encodeJsonMessage(m: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(m) + '\r\n');
}

/** A live JSON stream: write objects as they happen, end or fail it once. */
export interface JsonStreamWriter {
  readonly body: ReadableStream<Uint8Array>;
  write(m: unknown): void;
  close(): void;
  /** Writes `{"error", "errorDetail"}` and ends the stream: the 200 header has already gone out. */
  fail(e: unknown): void;
  /** Resolves when the client goes away (the body is cancelled). */
  readonly cancelled: Promise<void>;
  readonly isCancelled: boolean;
}

export function jsonStreamWriter(): JsonStreamWriter {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let cancelledFlag = false;
  let onCancel!: () => void;
  const cancelled = new Promise<void>((resolve) => { onCancel = resolve; });
  const body = new ReadableStream<Uint8Array>({
    start(c) { controller = c; },
    cancel() { closed = true; cancelledFlag = true; onCancel(); },
  });
  return {
    body,
    cancelled,
    get isCancelled() { return cancelledFlag; },
    write(m) { if (!closed) controller.enqueue(encodeJsonMessage(m)); },
    close() { if (!closed) { closed = true; controller.close(); } },
    fail(e) {
      if (closed) return;
      controller.enqueue(encodeJsonMessage(errorJsonMessage(e)));
      closed = true;
      controller.close();
    },
  };
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * Runs an operation that reports through a ProgressSink the way dockerd's handlers do: the 200
 * header goes out with the first message, so a failure before any message is an ordinary error
 * response (`404 manifest unknown`), and a failure after it is an error object in the stream.
 */
export function streamOrError(run: (emit: ProgressSink, signal: AbortSignal) => Promise<void>, opts: { headers?: Record<string, string> } = {}): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const w = jsonStreamWriter();
    const abort = new AbortController();
    void w.cancelled.then(() => abort.abort());
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      resolve(new Response(w.body, { status: 200, headers: { ...JSON_HEADERS, ...opts.headers } }));
    };
    const emit: ProgressSink = (m) => { start(); w.write(m); };
    run(emit, abort.signal).then(
      () => { start(); w.close(); },
      (e: unknown) => {
        if (started) w.fail(e);
        else reject(e instanceof Error ? e : new BerthError('internal', String(e)));
      },
    );
  });
}
