// Byte counting for progress messages, rate-limited like dockerd's progress reader so a fast
// local pull does not flood the stream.
import type { ProgressSink } from './json-message.ts';
import { progressMessage } from './json-message.ts';

const INTERVAL_MS = 100;

/**
 * A pass-through stream that reports `status` progress for `id` as bytes flow; `onEnd` runs when
 * the stream ended well, before its readable side closes (so whatever it reports comes first).
 */
export function progressStream(emit: ProgressSink, status: string, id: string, total: number, onEnd?: () => void): TransformStream<Uint8Array, Uint8Array> {
  let current = 0;
  let last = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      current += chunk.byteLength;
      const now = Date.now();
      if (now - last >= INTERVAL_MS) {
        last = now;
        emit(progressMessage(status, id, current, total));
      }
      controller.enqueue(chunk);
    },
    flush() {
      if (current > 0) emit(progressMessage(status, id, current, total));
      onEnd?.();
    },
  });
}

/** A limit on concurrent work (dockerd downloads 3 layers at a time): `run` waits for a free slot. */
export function limiter(limit: number): { run<T>(task: () => Promise<T>, onQueued?: () => void): Promise<T> } {
  let active = 0;
  const queue: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>, onQueued?: () => void): Promise<T> {
      if (active >= limit) {
        onQueued?.();
        await new Promise<void>((resolve) => queue.push(resolve));
      } else {
        active++;
      }
      try {
        return await task();
      } finally {
        const next = queue.shift();
        if (next) next(); else active--;
      }
    },
  };
}
