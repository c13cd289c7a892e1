// Serves a web-standard handler (Request -> Response) from a Node HTTP server, on a unix socket
// or TCP. Streams both ways without buffering, so pushes, pulls and event streams stay live.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { chmod, unlink } from 'node:fs/promises';
import { hijackHandler, type HijackHandler } from '../../core/api/hijack.ts';

export type Handler = (req: Request) => Promise<Response>;

export interface ServeOptions {
  /** `unix:///path`, `/path` or `host:port` (`tcp://` prefix allowed). */
  address: string;
  /** Mode for a unix socket file (dockerd uses 0660). */
  socketMode?: number;
  /**
   * TLS for TCP addresses: the server's certificate and key, and the CA whose signature a client certificate must
   * carry (mutual TLS, as dockerd's --tlsverify).
   */
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
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
      if (!res.write(value)) await drained(res);
      if (res.destroyed) break;
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
}

/**
 * Resolves when `res` takes writes again or is gone, and leaves no listener behind: a long answer
 * (export, cp, logs) waits on backpressure thousands of times.
 */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.once('drain', done);
    res.once('close', done);
  });
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
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
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
      .then((response) => {
        const hijack = hijackHandler(response);
        if (hijack) return hijackPlain(req, res, response, hijack, opts.headers);
        return writeResponse(res, response, req.method ?? 'GET', opts.headers);
      })
      .catch((e: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json', ...opts.headers });
          res.end(JSON.stringify({ message: e instanceof Error ? e.message : String(e) }));
        } else {
          res.destroy();
        }
      });
  };
  if (opts.tls && 'path' in addr) throw new Error('TLS applies to tcp:// addresses, not to unix sockets');
  const server: http.Server = opts.tls
    ? https.createServer({
      // Hijacked attach/exec connections live on after the client's half-close (its close_notify), as over TCP.
      allowHalfOpen: true,
      keepAliveTimeout: 65_000, ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key,
      // Mutual TLS: a client without a certificate signed by the CA never reaches the API.
      requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
    }, onRequest)
    : http.createServer({ keepAliveTimeout: 65_000 }, onRequest);
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const base = 'path' in addr ? 'http://localhost' : `http://${req.headers.host ?? 'localhost'}`;
    serveUpgrade(handler, req, socket, head, base, opts.headers ?? {}).catch(() => socket.destroy());
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

/**
 * The client's bytes after the request head as a web stream: `first` (already read by the HTTP
 * parser) then the socket until its EOF. EOF is the client's half-close, not a hang-up: the
 * socket stays writable (the server's sockets are allowHalfOpen).
 */
function socketReadable(socket: Duplex, first: Buffer): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.length) controller.enqueue(new Uint8Array(first));
      socket.on('data', (chunk: Buffer) => {
        if (done) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) socket.pause();
      });
      const end = () => { if (!done) { done = true; try { controller.close(); } catch { /* cancelled */ } } };
      socket.once('end', end);
      socket.once('close', end);
      socket.once('error', end);
    },
    pull() { socket.resume(); },
    cancel() { done = true; socket.resume(); },
  }, { highWaterMark: 8 });
}

function socketWritable(socket: Duplex): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.destroyed || socket.writableEnded) throw new Error('the client closed the connection');
      if (socket.write(chunk)) return;
      return new Promise<void>((resolve, reject) => {
        const ok = () => { socket.off('close', gone); resolve(); };
        const gone = () => { socket.off('drain', ok); reject(new Error('the client closed the connection')); };
        socket.once('drain', ok);
        socket.once('close', gone);
      });
    },
    close() { if (!socket.destroyed) socket.end(); },
    abort() { socket.destroy(); },
  });
}

const STATUS_TEXT = (status: number) => http.STATUS_CODES[status] ?? 'Unknown';

/**
 * A request with `Upgrade: tcp` (attach, exec start). Its body (exec start's JSON) is whatever
 * Content-Length says of the bytes after the head; the rest is the client's stdin. A hijacking
 * handler gets `101 UPGRADED` and the raw socket; any other answer is written as plain HTTP/1.1
 * and the connection closed.
 */
async function serveUpgrade(handler: Handler, req: http.IncomingMessage, socket: Duplex, head: Buffer, base: string, extra: Record<string, string>): Promise<void> {
  socket.on('error', () => {});
  const length = Number(req.headers['content-length'] ?? 0) || 0;
  let buffered = head;
  while (buffered.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer) => { cleanup(); resolve(d); };
      const onEnd = () => { cleanup(); resolve(null); };
      const cleanup = () => { socket.off('data', onData); socket.off('end', onEnd); socket.off('close', onEnd); };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
    });
    if (!chunk) break;
    buffered = Buffer.concat([buffered, chunk]);
  }
  socket.pause();
  const body = buffered.subarray(0, length);
  const rest = buffered.subarray(length);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const method = req.method ?? 'POST';
  const controller = new AbortController();
  socket.once('close', () => controller.abort());
  const request = new Request(new URL(req.url ?? '/', base), {
    method, headers, signal: controller.signal,
    ...(method !== 'GET' && method !== 'HEAD' ? { body: new Uint8Array(body) } : {}),
  });
  const response = await handler(request);
  const hijack = hijackHandler(response);
  const extraLines = Object.entries(extra).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  if (!hijack) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    let head = `HTTP/1.1 ${response.status} ${STATUS_TEXT(response.status)}\r\n${extraLines}`;
    response.headers.forEach((v, k) => { if (k !== 'content-length' && k !== 'transfer-encoding') head += `${k}: ${v}\r\n`; });
    head += `Content-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
    socket.write(head);
    socket.end(bytes);
    return;
  }
  const type = response.headers.get('content-type') ?? 'application/vnd.docker.raw-stream';
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${extraLines}\r\n`);
  await runHijack(hijack, { readable: socketReadable(socket, rest), writable: socketWritable(socket) }, () => socket.end());
}

/** Older clients attach without asking to upgrade: 200 and the raw stream in the response body. */
async function hijackPlain(req: http.IncomingMessage, res: http.ServerResponse, response: Response, hijack: HijackHandler, extra?: Record<string, string>): Promise<void> {
  res.writeHead(200, { ...extra, 'content-type': response.headers.get('content-type') ?? 'application/vnd.docker.raw-stream' });
  res.flushHeaders();
  const readable = (req.method === 'GET' || req.method === 'HEAD') ? new ReadableStream<Uint8Array>({ start(c) { c.close(); } }) : socketReadableFromRequest(req);
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (res.destroyed) throw new Error('the client closed the connection');
      if (res.write(chunk)) return;
      return drained(res);
    },
    close() { res.end(); },
    abort() { res.destroy(); },
  });
  await runHijack(hijack, { readable, writable }, () => res.end());
}

function socketReadableFromRequest(req: http.IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (d: Buffer) => controller.enqueue(new Uint8Array(d)));
      req.once('end', () => { try { controller.close(); } catch { /* cancelled */ } });
      req.once('error', () => { try { controller.close(); } catch { /* cancelled */ } });
    },
    cancel() { req.resume(); },
  });
}

async function runHijack(hijack: HijackHandler, conn: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }, end: () => void): Promise<void> {
  try {
    await hijack(conn);
  } finally {
    end();
  }
}
