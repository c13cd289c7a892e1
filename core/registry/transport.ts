// fetch with the two timeouts a registry client needs: no answer (connect + headers) within N
// seconds, and a body (either direction) making no progress for N seconds. Network failures become
// one-line BerthErrors that name the registry host and say it cannot be reached.
import type { Fetch } from '../host.ts';
import { BerthError } from '../errors.ts';

export interface SendOptions {
  /** The registry host[:port], for messages. */
  host: string;
  timeoutMs: number;
  /** What the body is, for messages about a broken or stalled body: `blob sha256:...`. */
  bodyLabel?: string;
  signal?: AbortSignal;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

function goMethod(method: string): string {
  const m = method.toUpperCase();
  return m.charAt(0) + m.slice(1).toLowerCase();
}

/** The error codes of a failed fetch, innermost included (undici nests them, sometimes as an AggregateError). */
function errorCodes(e: unknown, depth = 0): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  if (!e || typeof e !== 'object' || depth > 5) return { codes, messages };
  const o = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof o.code === 'string') codes.push(o.code);
  if (typeof o.message === 'string' && o.message) messages.push(o.message);
  for (const inner of [o.cause, ...(Array.isArray(o.errors) ? o.errors : [])]) {
    const r = errorCodes(inner, depth + 1);
    codes.push(...r.codes);
    messages.push(...r.messages);
  }
  return { codes, messages };
}

/** Go's wording for why a connection failed, which is what Docker users recognise. */
export function networkReason(e: unknown, url: URL): string {
  const { codes, messages } = errorCodes(e);
  const hostport = url.port ? url.host : `${url.host}:${url.protocol === 'https:' ? 443 : 80}`;
  const has = (...c: string[]) => codes.some((x) => c.includes(x));
  if (has('ENOTFOUND')) return `dial tcp: lookup ${url.hostname}: no such host`;
  if (has('EAI_AGAIN')) return `dial tcp: lookup ${url.hostname}: temporary failure in name resolution`;
  if (has('ECONNREFUSED')) return `dial tcp ${hostport}: connect: connection refused`;
  if (has('EHOSTUNREACH')) return `dial tcp ${hostport}: connect: no route to host`;
  if (has('ENETUNREACH')) return `dial tcp ${hostport}: connect: network is unreachable`;
  if (has('ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT')) return `dial tcp ${hostport}: i/o timeout`;
  if (has('ECONNRESET')) return `read tcp ${hostport}: connection reset by peer`;
  if (has('ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO') || messages.some((m) => /wrong version number/i.test(m))) {
    return 'http: server gave HTTP response to HTTPS client';
  }
  if (codes.some((c) => /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(c))) {
    return `tls: failed to verify certificate: ${messages[messages.length - 1] ?? 'unknown authority'}` +
      ' (add the registry to insecure-registries to use it without a trusted certificate)';
  }
  if (has('UND_ERR_SOCKET')) return 'connection closed by the registry before it answered';
  // A browser's fetch says only "Failed to fetch": the inner message, when there is one, is better.
  return messages[messages.length - 1] ?? 'network error';
}

function secs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** Calls `onStall` when `kick` has not been called for `ms`. */
class Watchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  constructor(private readonly ms: number, private readonly onStall: () => void) { this.kick(); }
  kick(): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.stopped = true; this.onStall(); }, this.ms);
  }
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

/**
 * Sends one request. The returned Response's body is watched too: it errors with a clear message
 * when it stalls or breaks. Callers must consume or cancel every body they get.
 */
export async function send(fetch: Fetch, url: URL, init: RequestInit, opts: SendOptions): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const what = `${goMethod(method)} "${url.href}"`;
  const controller = new AbortController();
  let stallError: BerthError | undefined;
  let phase: 'request' | 'response' = 'request';
  const dog = new Watchdog(opts.timeoutMs, () => {
    stallError = phase === 'request'
      ? new BerthError('timeout', `registry ${opts.host} did not answer within ${secs(opts.timeoutMs)}: ${what}`)
      : new BerthError('timeout', `${opts.bodyLabel ?? 'response'} from ${opts.host} stalled: no data for ${secs(opts.timeoutMs)}`);
    controller.abort(stallError);
  });
  const onUserAbort = () => { dog.stop(); controller.abort(opts.signal?.reason); };
  if (opts.signal?.aborted) onUserAbort();
  opts.signal?.addEventListener('abort', onUserAbort, { once: true });
  const cleanup = () => { dog.stop(); opts.signal?.removeEventListener('abort', onUserAbort); };

  let body = init.body;
  if (body instanceof ReadableStream) body = watchRequestBody(body as ReadableStream<Uint8Array>, dog);
  let res: Response;
  try {
    res = await fetch(url, { ...init, body, signal: controller.signal, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
  } catch (e) {
    cleanup();
    if (stallError) throw stallError;
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    throw new BerthError('unavailable', `cannot reach registry ${opts.host}: ${what}: ${networkReason(e, url)}`, { cause: e });
  }
  phase = 'response';
  if (!res.body || NULL_BODY_STATUS.has(res.status) || method === 'HEAD') {
    cleanup();
    return res;
  }
  dog.kick();
  const watched = watchResponseBody(res.body, dog, cleanup, () => stallError, opts);
  return new Response(watched, { status: res.status, statusText: res.statusText, headers: res.headers });
}

function bodyReason(e: unknown, host: string): string {
  const { codes, messages } = errorCodes(e);
  if (codes.includes('UND_ERR_SOCKET') || messages.includes('terminated')) return 'the connection closed before the body was complete';
  return networkReason(e, new URL(`http://${host}`));
}

function watchRequestBody(body: ReadableStream<Uint8Array>, dog: Watchdog): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      dog.kick();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) { return reader.cancel(reason); },
  }, { highWaterMark: 0 });
}

function watchResponseBody(
  body: ReadableStream<Uint8Array>, dog: Watchdog, cleanup: () => void, stalled: () => BerthError | undefined, opts: SendOptions,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let received = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) { cleanup(); controller.close(); return; }
        received += value.byteLength;
        dog.kick();
        controller.enqueue(value);
      } catch (e) {
        cleanup();
        const s = stalled();
        if (s) { controller.error(s); return; }
        if (opts.signal?.aborted) { controller.error(opts.signal.reason ?? e); return; }
        controller.error(new BerthError('registry_error',
          `${opts.bodyLabel ?? 'response'} from ${opts.host} was cut off after ${received} bytes: ${bodyReason(e, opts.host)}`,
          { cause: e }));
      }
    },
    cancel(reason) { cleanup(); return reader.cancel(reason); },
  }, { highWaterMark: 0 });
}
