// A web-standard fetch over node:http to a daemon at `unix:///path` or `tcp://host:port`, with
// streaming request bodies (sent chunked, for `load`) and streaming responses (pull progress,
// events), over a keep-alive agent so one CLI invocation reuses its connection; and hijacked
// connections for attach and exec.
import http from 'node:http';
import type { Socket } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import type { Hijack, HijackedConnection, HijackResult } from '../../core/cli/host.ts';
import type { Fetch } from '../../core/host.ts';

export type DaemonAddress = { socketPath: string } | { host: string; port: number };

/** `unix:///run/berth/berth.sock`, `/path`, `tcp://127.0.0.1:2375`, `host:port`. */
export function parseDaemonAddress(address: string): DaemonAddress {
  if (address.startsWith('unix://')) return { socketPath: address.slice('unix://'.length) };
  if (address.startsWith('/')) return { socketPath: address };
  const hp = address.replace(/^(tcp|http):\/\//, '').replace(/\/+$/, '');
  const i = hp.lastIndexOf(':');
  if (i < 0) throw new Error(`invalid daemon address ${JSON.stringify(address)}: expected unix:///path or tcp://host:port`);
  const host = hp.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(hp.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid port in daemon address ${JSON.stringify(address)}`);
  return { host, port };
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

function bodyBytes(body: unknown): Uint8Array | undefined {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body instanceof URLSearchParams) return new TextEncoder().encode(body.toString());
  return undefined;
}

/** A Fetch whose requests all go to `address`, whatever host their URL names. */
export function daemonFetch(address: string, opts: { agent?: http.Agent } = {}): Fetch {
  const target = parseDaemonAddress(address);
  const agent = opts.agent ?? new http.Agent({ keepAlive: true, maxSockets: 8 });
  return (input, init) => new Promise<Response>((resolve, reject) => {
    const req0 = input instanceof Request ? input : undefined;
    const url = new URL(req0 ? req0.url : String(input));
    const method = (init?.method ?? req0?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers ?? req0?.headers);
    if (!headers.has('host')) headers.set('host', 'socketPath' in target ? 'api.moby.localhost' : `${target.host}:${target.port}`);
    const rawBody = init?.body ?? (req0 && req0.body ? req0.body : undefined);
    const fixed = rawBody === undefined || rawBody === null ? undefined : bodyBytes(rawBody);
    if (fixed) headers.set('content-length', String(fixed.byteLength));
    const outHeaders: Record<string, string> = {};
    headers.forEach((v, k) => { outHeaders[k] = v; });
    const signal = init?.signal ?? req0?.signal;
    if (signal?.aborted) {
      reject(signal.reason ?? new DOMException('The operation was aborted.', 'AbortError'));
      return;
    }
    const req = http.request({
      ...('socketPath' in target ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
      method,
      path: url.pathname + url.search,
      headers: outHeaders,
      agent,
    });
    const onAbort = () => {
      const err = signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError');
      req.destroy(err);
      reject(err);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new TypeError('fetch failed', { cause: e }));
    });
    req.once('response', (res) => {
      const h = new Headers();
      for (let i = 0; i < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      const status = res.statusCode ?? 0;
      const noBody = method === 'HEAD' || NULL_BODY_STATUS.has(status);
      if (noBody) res.resume();
      // A stream the caller stops reading (events) must not keep the process alive.
      const body = noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
      res.once('close', () => signal?.removeEventListener('abort', onAbort));
      const response = new Response(body, { status: status < 200 ? 200 : status, statusText: res.statusMessage ?? '', headers: h });
      Object.defineProperty(response, 'url', { value: url.toString() });
      resolve(response);
    });
    if (fixed) {
      req.end(fixed);
    } else if (rawBody instanceof ReadableStream) {
      // No Content-Length: Node sends the body chunked.
      const src = Readable.fromWeb(rawBody as import('node:stream/web').ReadableStream<Uint8Array>);
      src.once('error', (e) => req.destroy(e));
      src.pipe(req);
    } else if (rawBody !== undefined && rawBody !== null) {
      // Blob, FormData and the like: let the platform serialize them.
      new Response(rawBody as BodyInit).arrayBuffer().then((b) => req.end(new Uint8Array(b)), (e) => req.destroy(e as Error));
    } else {
      req.end();
    }
  });
}

/**
 * Hijacked connections (attach, exec start) as the docker CLI makes them: the request carries
 * `Connection: Upgrade` and `Upgrade: tcp`; on `101` the socket becomes the caller's byte pipe, read
 * until the daemon closes it, written until the caller half-closes it (shutdown(SHUT_WR)). Any other
 * answer comes back as a plain Response. One socket per connection: it never returns to a pool.
 */
export function daemonHijack(address: string): Hijack {
  const target = parseDaemonAddress(address);
  return (input, init) => new Promise<HijackResult>((resolve, reject) => {
    const url = new URL(input);
    const headers: Record<string, string> = {
      host: 'socketPath' in target ? 'api.moby.localhost' : `${target.host}:${target.port}`,
      ...init.headers,
      connection: 'Upgrade',
      upgrade: 'tcp',
    };
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    headers['content-length'] = String(body?.byteLength ?? 0);
    const req = http.request({
      ...('socketPath' in target ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
      method: init.method,
      path: url.pathname + url.search,
      headers,
      agent: false,
    });
    req.once('error', (e) => reject(new TypeError('fetch failed', { cause: e })));
    req.once('upgrade', (res, socket, head) => {
      resolve({ response: responseOf(res, null, url), connection: hijackedConnection(socket, head) });
    });
    req.once('response', (res) => {
      // Daemons that do not upgrade still stream the raw output as the body (docker accepts that).
      const status = res.statusCode ?? 0;
      const web = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
      if (status >= 200 && status < 300) {
        resolve({ response: responseOf(res, null, url), connection: bodyConnection(web, res.socket) });
        return;
      }
      resolve({ response: responseOf(res, NULL_BODY_STATUS.has(status) ? null : web, url) });
    });
    req.end(body);
  });
}

function responseOf(res: http.IncomingMessage, body: ReadableStream<Uint8Array> | null, url: URL): Response {
  const h = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 0;
  const r = new Response(body, { status: status < 200 ? 200 : status, statusText: res.statusMessage ?? '', headers: h });
  Object.defineProperty(r, 'url', { value: url.toString() });
  Object.defineProperty(r, 'upgradedStatus', { value: status });
  return r;
}

function hijackedConnection(socket: Duplex, head: Buffer): HijackedConnection {
  // The daemon's FIN ends our reading, never our writing: stdin may still be flowing.
  (socket as Socket).allowHalfOpen = true;
  let ended = false;
  const output = new ReadableStream<Uint8Array>({
    start(c) {
      if (head.length) c.enqueue(new Uint8Array(head));
      socket.on('data', (d: Buffer) => {
        c.enqueue(new Uint8Array(d));
        if ((c.desiredSize ?? 1) <= 0) socket.pause();
      });
      socket.once('end', () => { if (!ended) { ended = true; c.close(); } });
      socket.once('error', (e) => { if (!ended) { ended = true; c.error(e); } });
      socket.once('close', () => { if (!ended) { ended = true; c.close(); } });
    },
    pull() { socket.resume(); },
    cancel() { socket.destroy(); },
  }, { highWaterMark: 16 });
  return {
    output,
    write: (data) => new Promise<void>((resolve, reject) => {
      if (socket.destroyed || socket.writableEnded) { resolve(); return; }
      socket.write(data, (e) => (e ? reject(e) : resolve()));
    }),
    closeWrite: () => new Promise<void>((resolve) => {
      if (socket.destroyed || socket.writableEnded) { resolve(); return; }
      socket.end(() => resolve());
    }),
    close: () => { socket.destroy(); },
  };
}

function bodyConnection(output: ReadableStream<Uint8Array>, socket: Socket | null): HijackedConnection {
  return {
    output,
    write: () => Promise.resolve(),
    closeWrite: () => Promise.resolve(),
    close: () => { socket?.destroy(); },
  };
}
