// The page side of the transport: an Engine API client over the engine worker, with exactly the
// shapes the CLI's host hands out (CliHost.daemonFetch and daemonHijack), so core's CLI runs
// unchanged against the in-browser engine.
import { transfer, wrap, type Endpoint } from 'comlink';
import type { Fetch } from '../../core/host.ts';
import type { Hijack, HijackedConnection } from '../../core/cli/host.ts';
import type { EngineEndpoint, WireConnection, WireRequest, WireResponse } from './wire.ts';

/** The engine worker as the CLI's daemon address (CliHost.defaultDaemonHost): what its messages name. */
export const ENGINE_HOST = 'worker://engine';

export interface EngineConnection {
  fetch: Fetch;
  hijack: Hijack;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

async function wireRequest(req: Request, streamed: boolean): Promise<WireRequest> {
  let body: WireRequest['body'] = null;
  if (req.body) body = streamed ? req.body : new Uint8Array(await req.arrayBuffer());
  return { url: req.url, method: req.method, headers: [...req.headers] as [string, string][], body };
}

function send(remote: EngineEndpoint, w: WireRequest): Promise<WireResponse> {
  const transfers = w.body instanceof ReadableStream ? [w.body] : w.body ? [w.body.buffer] : [];
  return remote.request(transfers.length ? transfer(w, transfers as unknown as Transferable[]) : w);
}

function toResponse(w: WireResponse, body: ReadableStream<Uint8Array> | null): Response {
  return new Response(NULL_BODY_STATUS.has(w.status) ? null : body, { status: w.status, statusText: w.statusText, headers: w.headers });
}

/** A stream passed through, which `stop()` ends for its reader too (a transferred stream that is locked cannot be cancelled). */
function stoppable(source: ReadableStream<Uint8Array>): { stream: ReadableStream<Uint8Array>; stop(): void } {
  const reader = source.getReader();
  let out: ReadableStreamDefaultController<Uint8Array> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) { out = controller; },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close(); else controller.enqueue(value);
      } catch (e) {
        controller.error(e);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return {
    stream,
    stop() {
      reader.cancel().catch(() => {});
      try { out?.close(); } catch { /* already closed */ }
    },
  };
}

function hijacked(c: WireConnection): HijackedConnection {
  const writer = c.input.getWriter();
  const output = stoppable(c.output);
  return {
    output: output.stream,
    write: (data) => writer.write(data),
    closeWrite: () => writer.close().catch(() => {}),
    close() {
      writer.abort().catch(() => {});
      output.stop();
    },
  };
}

/** Connects to an engine worker (a Worker, or any comlink endpoint such as a Node MessagePort). */
export function connectEngine(worker: Endpoint): EngineConnection {
  const remote = wrap<EngineEndpoint>(worker) as unknown as EngineEndpoint;
  const fetch: Fetch = async (input, init) => {
    const req = new Request(input, init);
    const w = await send(remote, await wireRequest(req, init?.body instanceof ReadableStream));
    if (w.connection) {
      // A hijacking route reached by a plain request: the raw stream is the body, as dockerd answers
      // clients that did not ask to upgrade; nothing is sent the other way.
      w.connection.input.getWriter().close().catch(() => {});
      return toResponse(w, w.connection.output);
    }
    const signal = init?.signal;
    if (!signal || !w.body) return toResponse(w, w.body);
    // An abort after the answer arrived stops its body: the worker sees the cancel and ends the route.
    const body = stoppable(w.body);
    if (signal.aborted) body.stop(); else signal.addEventListener('abort', () => body.stop(), { once: true });
    return toResponse(w, body.stream);
  };
  const hijack: Hijack = async (url, init) => {
    const headers = { ...init.headers, Connection: 'Upgrade', Upgrade: 'tcp' };
    const body = init.body === undefined ? null : new TextEncoder().encode(init.body);
    const w = await send(remote, { url, method: init.method, headers: Object.entries(headers), body });
    if (!w.connection) return { response: toResponse(w, w.body) };
    return { response: toResponse(w, null), connection: hijacked(w.connection) };
  };
  return { fetch, hijack };
}
