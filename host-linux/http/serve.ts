// Serves a web-standard handler (Request -> Response) from a Node HTTP server, on a unix socket
// or TCP. Streams both ways without buffering, so pushes, pulls and event streams stay live.
import http from 'node:http';
import { chmod, unlink } from 'node:fs/promises';

export type Handler = (req: Request) => Promise<Response>;

export interface ServeOptions {
  /** `unix:///path`, `/path` or `host:port` (`tcp://` prefix allowed). */
  address: string;
  /** Mode for a unix socket file (dockerd uses 0660). */
  socketMode?: number;
  /** Extra headers on every response (dockerd sends `Server`). */
  headers?: Record<string, string>;
}

export interface Served {
  server: http.Server;
  /** The URL a client uses (`http://127.0.0.1:5000`, or `unix:///run/x.sock`). */
  url: string;
  close(): Promise<void>;
}

/**
 * The request body as a web stream. Node 20's Readable.toWeb throws (and kills the process) when a
 * handler cancels the stream while data is still arriving, so this adapter is written out: on
 * cancel the rest of the body is drained, which also keeps a keep-alive connection usable.
 */
function bodyStream(req: http.IncomingMessage): ReadableStream<Uint8Array> {
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) => {
        if (cancelled) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) req.pause();
      });
      req.once('end', () => { if (!cancelled) controller.close(); });
      req.once('error', (e) => { if (!cancelled) controller.error(e); });
      req.once('aborted', () => { if (!cancelled) controller.error(new Error('client closed the connection during the request body')); });
    },
    pull() { req.resume(); },
    cancel() { cancelled = true; req.resume(); },
  }, { highWaterMark: 4 });
}

export function toRequest(req: http.IncomingMessage, res: http.ServerResponse, base: string): Request {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const controller = new AbortController();
  // Only a client that goes away before the answer is complete aborts; a finished exchange must not.
  res.once('close', () => { if (!res.writableFinished) controller.abort(); });
  return new Request(new URL(req.url ?? '/', base), {
    method,
    headers,
    body: hasBody ? bodyStream(req) : null,
    signal: controller.signal,
    // @ts-expect-error Node's fetch needs duplex for streaming request bodies.
    duplex: 'half',
  });
}

export async function writeResponse(res: http.ServerResponse, response: Response, method: string, extra?: Record<string, string>): Promise<void> {
  const headers: Record<string, string | string[]> = { ...extra };
  response.headers.forEach((v, k) => {
    if (k === 'set-cookie') return;
    headers[k] = v;
  });
  const cookies = response.headers.getSetCookie?.() ?? [];
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (!response.body || method === 'HEAD') {
    res.end();
    await response.body?.cancel().catch(() => {});
    return;
  }
  // Headers go out at once: streaming answers (wait, events, pull) rely on the client seeing them.
  res.flushHeaders();
  const reader = response.body.getReader();
  const onClose = () => { reader.cancel().catch(() => {}); };
  res.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
      if (res.destroyed) break;
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
}

export function parseAddress(address: string): { path: string } | { host: string; port: number } {
  if (address.startsWith('unix://')) return { path: address.slice('unix://'.length) };
  if (address.startsWith('/')) return { path: address };
  const hp = address.replace(/^tcp:\/\//, '');
  const i = hp.lastIndexOf(':');
  if (i < 0) throw new Error(`invalid address ${JSON.stringify(address)}: expected unix:///path or host:port`);
  const host = hp.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(hp.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port in address ${JSON.stringify(address)}`);
  return { host, port };
}

export async function serve(handler: Handler, opts: ServeOptions): Promise<Served> {
  const addr = parseAddress(opts.address);
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const base = 'path' in addr ? 'http://localhost' : `http://${req.headers.host ?? 'localhost'}`;
    let request: Request;
    try {
      request = toRequest(req, res, base);
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/json', ...opts.headers });
      res.end(JSON.stringify({ message: `bad request: ${(e as Error).message}` }));
      return;
    }
    handler(request)
      .then((response) => writeResponse(res, response, req.method ?? 'GET', opts.headers))
      .catch((e: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json', ...opts.headers });
          res.end(JSON.stringify({ message: e instanceof Error ? e.message : String(e) }));
        } else {
          res.destroy();
        }
      });
  });
  server.requestTimeout = 0; // uploads and streams may run for a long time
  server.headersTimeout = 60_000;
  if ('path' in addr) {
    await unlink(addr.path).catch(() => {});
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(addr.path, () => resolve()); });
    if (opts.socketMode !== undefined) await chmod(addr.path, opts.socketMode);
  } else {
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(addr.port, addr.host, () => resolve()); });
  }
  const a = server.address();
  const url = 'path' in addr ? `unix://${addr.path}` : `http://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${typeof a === 'object' && a ? a.port : addr.port}`;
  return {
    server,
    url,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
