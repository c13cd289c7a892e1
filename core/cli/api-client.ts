// A client of the Docker Engine API as the docker CLI drives it: `HEAD /_ping` first to learn the
// daemon's API version (or DOCKER_API_VERSION), version-prefixed paths, JSON helpers, streaming
// bodies and docker's error texts.
import type { Fetch } from '../host.ts';

/** The newest API version this client speaks (docker CLI 28 says 1.50). */
export const CLIENT_API_VERSION = '1.50';
/** What the CLI assumes when a daemon's ping carries no Api-Version. */
export const FALLBACK_API_VERSION = '1.24';

/** An error answer from the daemon: printed as `Error response from daemon: <message>`. */
export class DaemonError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'DaemonError';
  }
}

/**
 * The name of the error a host's connection fails requests with when it knows why the engine is
 * gone (the browser's engine worker ended): its words say more than "cannot connect".
 */
export const ENGINE_STOPPED_ERROR = 'EngineStoppedError';

/** The daemon did not answer at all. */
export class DaemonUnreachableError extends Error {
  constructor(readonly address: string, options?: { cause?: unknown }) {
    const cause = options?.cause as Error | undefined;
    super(cause?.name === ENGINE_STOPPED_ERROR ? cause.message : `Cannot connect to the berth daemon at ${address}. Is the berth daemon running?`, options);
    this.name = 'DaemonUnreachableError';
  }
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RequestOptions {
  query?: Query;
  headers?: Record<string, string>;
  /** A JSON body (sent with Content-Type: application/json). */
  json?: unknown;
  /** A raw body; a stream goes out chunked. */
  body?: BodyInit | ReadableStream<Uint8Array>;
  signal?: AbortSignal;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function versionLessThan(a: string, b: string): boolean {
  return compareVersions(a, b) < 0;
}

export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, x);
    else if (typeof v === 'boolean') { if (v) p.set(k, '1'); }
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** `{"dangling":{"true":true}}`: the map-of-bools form of filters the daemon reads. */
export function encodeFilters(filters: string[]): string | undefined {
  if (filters.length === 0) return undefined;
  const m: Record<string, Record<string, boolean>> = {};
  for (const f of filters) {
    const i = f.indexOf('=');
    const k = f.slice(0, i).trim().toLowerCase();
    const v = f.slice(i + 1).trim();
    (m[k] ??= {})[v] = true;
  }
  return JSON.stringify(m);
}

export interface ApiClientOptions {
  /** Address the user gave (`unix:///run/berth/berth.sock`), for messages. */
  address: string;
  fetch: Fetch;
  /** DOCKER_API_VERSION: skips negotiation. */
  version?: string;
  userAgent?: string;
}

export class ApiClient {
  readonly address: string;
  private readonly fetchFn: Fetch;
  private fixedVersion: string | undefined;
  private negotiated: string | undefined;
  private readonly userAgent: string;
  /** Headers of the last ping (Ostype, Builder-Version...). */
  pingHeaders: Headers | undefined;

  constructor(opts: ApiClientOptions) {
    this.address = opts.address;
    this.fetchFn = opts.fetch;
    this.fixedVersion = opts.version;
    this.userAgent = opts.userAgent ?? 'berth-cli';
  }

  /** The API version used for requests (after negotiate()). */
  get version(): string {
    return this.fixedVersion ?? this.negotiated ?? CLIENT_API_VERSION;
  }

  /** The daemon's own API version as its ping said, if known. */
  serverVersion: string | undefined;

  private async raw(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('User-Agent', this.userAgent);
    try {
      return await this.fetchFn(`http://api.moby.localhost${path}`, { ...init, method, headers });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new DaemonUnreachableError(this.address, { cause: e });
    }
  }

  /** HEAD /_ping (GET when HEAD is refused) and version negotiation, as the docker CLI does. */
  async negotiate(): Promise<void> {
    if (this.negotiated) return;
    let res = await this.raw('HEAD', '/_ping');
    if (res.status === 405 || res.status >= 500 && !res.headers.get('api-version')) {
      await res.body?.cancel();
      res = await this.raw('GET', '/_ping');
    }
    await res.body?.cancel().catch(() => {});
    this.pingHeaders = res.headers;
    const v = res.headers.get('api-version') ?? undefined;
    this.serverVersion = v;
    if (this.fixedVersion) return;
    if (!v) this.negotiated = FALLBACK_API_VERSION;
    else this.negotiated = versionLessThan(v, CLIENT_API_VERSION) ? v : CLIENT_API_VERSION;
  }

  /** Sends a request; a non-2xx answer is thrown as DaemonError with the daemon's message. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    await this.negotiate();
    const headers: Record<string, string> = { ...opts.headers };
    let body: BodyInit | ReadableStream<Uint8Array> | undefined = opts.body;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    const init: RequestInit & { duplex?: 'half' } = { headers, signal: opts.signal };
    if (body !== undefined) {
      init.body = body as BodyInit;
      if (body instanceof ReadableStream) init.duplex = 'half';
    }
    const res = await this.raw(method, `/v${this.version}${path}${encodeQuery(opts.query)}`, init);
    if (res.status >= 200 && res.status < 400) return res;
    throw await decodeError(res);
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('GET', path, { query });
  }
}

/** Reads an error answer the way docker's client does. */
export async function decodeError(res: Response): Promise<DaemonError> {
  const text = await res.text().catch(() => '');
  const type = res.headers.get('content-type') ?? '';
  let message = text.trim();
  if (type.includes('json') || message.startsWith('{')) {
    try {
      const j = JSON.parse(text) as { message?: string };
      if (typeof j.message === 'string') message = j.message;
    } catch { /* not JSON after all: keep the text */ }
  }
  if (!message) message = `request returned ${res.status} ${res.statusText || ''}`.trim() + ' for API route and version ' + res.url + ', check if the server supports the requested API version';
  return new DaemonError(res.status, message);
}
