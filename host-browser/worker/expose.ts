// The worker side of the transport: serves an Engine API handler over comlink. Each request's
// AbortSignal fires when the client goes away (cancels the answer's body or drops a hijacked
// connection), which ends streaming routes such as events, as a closed socket does on Linux.
import { expose, transfer, type Endpoint } from 'comlink';
import { hijackHandler, type HijackHandler } from '../../core/api/hijack.ts';
import { errorMessage } from '../../core/errors.ts';
import type { EngineEndpoint, WireConnection, WireRequest, WireResponse } from './wire.ts';

export type Handler = (req: Request) => Promise<Response>;

/** Passes `body` through, and calls `end` once when it is finished, failed or cancelled by the client. */
function watched(body: ReadableStream<Uint8Array>, end: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const { done, value } = await reader.read();
        if (done) { c.close(); end(); } else c.enqueue(value);
      } catch (e) {
        c.error(e);
        end();
      }
    },
    async cancel(reason) {
      end();
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** Runs a hijacked connection; the output closes when the handler returns (as the socket ends on Linux). */
function connect(hijack: HijackHandler, end: () => void, log: (m: string) => void): WireConnection {
  const input = new TransformStream<Uint8Array, Uint8Array>();
  const output = new TransformStream<Uint8Array, Uint8Array>();
  const writer = output.writable.getWriter();
  let closed = false;
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => writer.write(chunk),
    close: () => { closed = true; return writer.close(); },
    abort: (reason) => { closed = true; return writer.abort(reason); },
  });
  void hijack({ readable: input.readable, writable })
    .catch((e) => log(`hijacked connection: ${errorMessage(e)}`))
    .finally(() => {
      if (!closed) writer.close().catch(() => {});
      end();
    });
  return { output: watched(output.readable, end), input: input.writable };
}

function toRequest(w: WireRequest, signal: AbortSignal): Request {
  const hasBody = w.body !== null && w.method !== 'GET' && w.method !== 'HEAD';
  return new Request(w.url, {
    method: w.method,
    headers: w.headers,
    signal,
    ...(hasBody ? { body: w.body as BodyInit, duplex: 'half' } : {}),
  } as RequestInit);
}

/** The endpoint object: usable directly (tests) or exposed with `exposeEngine`. */
export function engineEndpoint(handle: Handler, log: (m: string) => void = (m) => console.error(`berth: ${m}`)): EngineEndpoint {
  return {
    async request(w: WireRequest): Promise<WireResponse> {
      const abort = new AbortController();
      let ended = false;
      const end = () => { if (!ended) { ended = true; abort.abort(); } };
      const res = await handle(toRequest(w, abort.signal));
      const head = { status: res.status, statusText: res.statusText, headers: [...res.headers] as [string, string][] };
      const hijack = hijackHandler(res);
      if (hijack) {
        const connection = connect(hijack, end, log);
        return transfer({ ...head, body: null, connection }, [connection.output, connection.input] as unknown as Transferable[]);
      }
      if (!res.body) { end(); return { ...head, body: null }; }
      const body = watched(res.body, end);
      return transfer({ ...head, body }, [body] as unknown as Transferable[]);
    },
  };
}

/** Serves `handle` on `endpoint` (the worker's global scope, or a Node MessagePort in tests). */
export function exposeEngine(handle: Handler, endpoint: Endpoint, log?: (m: string) => void): void {
  expose(engineEndpoint(handle, log), endpoint);
}
