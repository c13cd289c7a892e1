// Docker's JSON message stream (pull, push, load): one JSON object per line, `\r\n` separated,
// with the 200 header sent only once the operation has something to say.
import { BerthError } from '../errors.ts';
import { errorJsonMessage, type ProgressSink } from '../engine/json-message.ts';

export { errorJsonMessage, progressBar, progressMessage, type JsonMessage, type ProgressDetail, type ProgressSink } from '../engine/json-message.ts';

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
