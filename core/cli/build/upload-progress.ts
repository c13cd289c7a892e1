// `Sending build context to Docker daemon  2.048kB`: the docker CLI's progress reader over the
// context upload. On a terminal the line is redrawn every 512kB (at most every 100ms); elsewhere
// only the last update is written (lastProgressOutput). Either way it ends with `\r\r\n`, as
// streamformatter's raw progress writes it.
import { progressString } from '../json-message.ts';

export const SENDING_CONTEXT = 'Sending build context to Docker daemon';

const UPDATE_EVERY = 512 * 1024;
const MIN_INTERVAL_MS = 100;

export interface UploadProgressOptions {
  isTerminal: boolean;
  write(text: string): void | Promise<void>;
  now?: () => number;
}

/** The progress line for `bytes` sent so far (without the final newline). */
export function sendingLine(bytes: number): string {
  return `${SENDING_CONTEXT} ${progressString({ current: bytes, total: 0 })}\r`;
}

/** Passes the context through, counting it and writing the progress lines as it goes. */
export function uploadProgress(opts: UploadProgressOptions): TransformStream<Uint8Array, Uint8Array> {
  const now = opts.now ?? (() => Date.now());
  let current = 0;
  let lastUpdate = 0;
  let lastWrite = -Infinity;
  return new TransformStream({
    async transform(chunk, controller) {
      current += chunk.byteLength;
      if (opts.isTerminal && current - lastUpdate > UPDATE_EVERY) {
        lastUpdate = current;
        const t = now();
        if (t - lastWrite >= MIN_INTERVAL_MS) {
          lastWrite = t;
          await opts.write(sendingLine(current));
        }
      }
      controller.enqueue(chunk);
    },
    async flush() {
      await opts.write(`${sendingLine(current)}\r\n`);
    },
  });
}
