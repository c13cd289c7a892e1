// Logs API failures the way dockerd does ("Handler for GET /images/get returned error: ..."), so
// that a failure the client cannot be told about is still on record: once a streamed answer (save,
// pull, events) has started, an error can only cut the stream short, and the client sees no reason.
import type { Logger } from './log.ts';
import { errorMessage } from '../../core/errors.ts';

type Handler = (req: Request) => Promise<Response>;

const IMAGE_PATH = /^(?:\/v[0-9.]+)?\/images\//;

/** `onStreamEnd`: an image stream (save, pull, push, load) has ended, leaving its buffers as garbage. */
export function loggedHandler(handle: Handler, log: Logger, onStreamEnd?: () => void): Handler {
  return async (req) => {
    const path = new URL(req.url).pathname;
    if (log.level === 'debug') log.debug(`Calling ${req.method} ${path}`);
    const res = await handle(req);
    const failed = (e: unknown) => log.error(`Handler for ${req.method} ${path} returned error: ${errorMessage(e)}`);
    if (res.status >= 500) {
      // Error answers are small JSON documents; read a copy so the client still gets the original.
      void res.clone().text().then((text) => {
        let message = text;
        try { message = (JSON.parse(text) as { message?: string }).message ?? text; } catch { /* not JSON */ }
        failed(message);
      }, () => {});
      return res;
    }
    // Only the image endpoints' streams (save, pull, push, load) are re-wrapped: other answers may carry
    // more than a web Response holds (a hijacked attach), which a copy would lose.
    if (!res.body || !IMAGE_PATH.test(path)) return res;
    return new Response(watchErrors(res.body, failed, onStreamEnd), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** Passes the stream through unchanged, reporting an error that ends it (a client that leaves cancels, which is not one). */
function watchErrors(body: ReadableStream<Uint8Array>, onError: (e: unknown) => void, onEnd?: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        onError(e);
        controller.error(e);
        onEnd?.();
        return;
      }
      if (chunk.done) { controller.close(); onEnd?.(); } else controller.enqueue(chunk.value);
    },
    cancel: (reason) => { onEnd?.(); return reader.cancel(reason); },
  }, { highWaterMark: 0 });
}
