// A client for the OCI distribution spec (and Docker's registry API v2): manifests by tag or
// digest with Accept negotiation, verified blob downloads, pushes with existence checks,
// cross-repository mounts, monolithic and chunked uploads, tag listing and deletes. Host services
// come in as options, so the same client runs in Node and in a browser worker.
import type { Fetch, HashFactory } from '../host.ts';
import { BerthError } from '../errors.ts';
import { digestBytes, parseDigest, verifyingStream } from '../digest.ts';
import { MANIFEST_ACCEPT, MediaType } from '../image/media-types.ts';
import type { CredentialsLookup, Credentials } from '../auth/credentials.ts';
import { encodeBase64 } from '../auth/base64.ts';
import { familiarName, familiarString, fullName, registryEndpointHost, type Reference } from '../reference/reference.ts';
import { Authenticator, repositoryScope } from './authenticator.ts';
import { errorFromResponse, RegistryError, statusLine } from './registry-error.ts';
import { send } from './transport.ts';
import { nextLink } from './link-header.ts';
import { parseChallenges } from './challenge.ts';

export interface RegistryClientOptions {
  fetch: Fetch;
  hash: HashFactory;
  /** Plain HTTP for insecure and loopback registries, HTTPS otherwise. */
  scheme: (host: string) => 'http' | 'https';
  credentials?: CredentialsLookup;
  userAgent?: string;
  /** No answer, or a body making no progress, for this long is an error. Default 30 s. */
  timeoutMs?: number;
}

/** A repository in a registry; a parsed Reference is one. */
export type Repository = Pick<Reference, 'domain' | 'path'>;

export interface ManifestResult {
  bytes: Uint8Array;
  mediaType: string;
  digest: string;
}

export interface ManifestDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export type Progress = (bytes: number, total: number | undefined) => void;

export interface BlobSourceForPush {
  digest: string;
  size: number;
  /** The bytes, or a function opening a stream of them (called once per upload attempt). */
  data: Uint8Array | (() => Promise<ReadableStream<Uint8Array>>);
}

export interface UploadOptions {
  /** Upload in PATCH chunks of this many bytes (Content-Range), then PUT; otherwise one PUT with the body. */
  chunkSize?: number;
  onProgress?: Progress;
  /** An upload session already opened (by a mount attempt the registry answered with 202). */
  location?: string;
  signal?: AbortSignal;
}

export type MountResult = { mounted: true } | { mounted: false; location: string };

/** The biggest manifest we accept, as distribution's default limit. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

interface RequestSpec {
  method?: string;
  /** A path under the registry (`/v2/...`) or an absolute URL (an upload Location). */
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string | ReadableStream<Uint8Array> | null;
  scopes: string[];
  bodyLabel?: string;
  signal?: AbortSignal;
}

export class RegistryClient {
  private readonly opts: Required<Pick<RegistryClientOptions, 'fetch' | 'hash' | 'scheme' | 'userAgent' | 'timeoutMs'>> & RegistryClientOptions;
  private readonly auth: Authenticator;

  constructor(opts: RegistryClientOptions) {
    this.opts = { userAgent: 'berth/0.1', timeoutMs: 30_000, ...opts };
    this.auth = new Authenticator({
      fetch: this.opts.fetch, scheme: this.opts.scheme, timeoutMs: this.opts.timeoutMs,
      userAgent: this.opts.userAgent, clientId: 'berth',
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
    });
  }

  /** The host[:port] requests for `domain` go to (Docker Hub's API is on registry-1.docker.io). */
  hostOf(domain: string): string {
    return registryEndpointHost(domain);
  }

  // ---- requests ---------------------------------------------------------------------------

  private async request(repoHost: string, spec: RequestSpec): Promise<Response> {
    const base = this.auth.baseUrl(repoHost);
    const url = new URL(spec.url, base);
    const sameHost = url.host === new URL(base).host;
    const replayable = !(spec.body instanceof ReadableStream);
    const attempt = async (): Promise<Response> => {
      const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent, ...spec.headers };
      // Upload locations may point at another host (a storage backend): our credentials stay home.
      if (sameHost) {
        const authorization = await this.auth.authorization(repoHost, spec.scopes, spec.signal);
        if (authorization) headers.Authorization = authorization;
      }
      return send(this.opts.fetch, url, {
        method: spec.method ?? 'GET', headers, body: (spec.body ?? null) as BodyInit | null, redirect: 'follow',
      }, { host: repoHost, timeoutMs: this.opts.timeoutMs, ...(spec.bodyLabel ? { bodyLabel: spec.bodyLabel } : {}), ...(spec.signal ? { signal: spec.signal } : {}) });
    };
    const res = await attempt();
    if (res.status !== 401 || !sameHost) return res;
    // A 401 with a (new) challenge: the token expired, the scope grew, or the ping saw no auth.
    const text = await res.text().catch(() => '');
    const header = res.headers.get('www-authenticate');
    if (replayable && parseChallenges(header).length) {
      this.auth.rechallenge(repoHost, header, spec.scopes);
      return attempt();
    }
    return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
  }

  // ---- ping and login ---------------------------------------------------------------------

  /** Checks that `host` speaks the registry API (GET /v2/); returns the auth schemes it asks for. */
  async ping(host: string, signal?: AbortSignal): Promise<{ authSchemes: string[] }> {
    const challenges = await this.auth.challengesFor(host, signal);
    return { authSchemes: challenges.map((c) => c.scheme) };
  }

  /**
   * Verifies credentials the way `docker login` does. Returns an identity token when the
   * registry's token server hands out a refresh token, which is stored instead of the password.
   */
  async login(host: string, creds: Credentials, signal?: AbortSignal): Promise<{ identityToken?: string }> {
    const url = new URL(`${this.auth.baseUrl(host)}/v2/`);
    const res = await send(this.opts.fetch, url, { headers: { 'User-Agent': this.opts.userAgent } }, { host, timeoutMs: this.opts.timeoutMs, ...(signal ? { signal } : {}) });
    await res.body?.cancel().catch(() => {});
    if (res.status !== 401) {
      if (res.ok) return {};
      throw new BerthError('registry_error', `login attempt to ${url.href} failed with status: ${statusLine(res.status, res.statusText)}`);
    }
    const challenges = parseChallenges(res.headers.get('www-authenticate'));
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const t = await this.auth.fetchToken(host, bearer, [], creds, { offline: true }, signal);
      return t.refreshToken ? { identityToken: t.refreshToken } : {};
    }
    if (!challenges.some((c) => c.scheme === 'basic')) {
      throw new BerthError('unsupported', `registry ${host} asks for an authentication scheme berth does not support: ${res.headers.get('www-authenticate') ?? '(none)'}`);
    }
    const basic = `Basic ${encodeBase64(`${creds.username ?? ''}:${creds.password ?? ''}`)}`;
    const again = await send(this.opts.fetch, url, { headers: { 'User-Agent': this.opts.userAgent, Authorization: basic } }, { host, timeoutMs: this.opts.timeoutMs, ...(signal ? { signal } : {}) });
    await again.body?.cancel().catch(() => {});
    if (again.ok) return {};
    if (again.status === 401) throw new BerthError('unauthorized', `login attempt to ${url.href} failed with status: ${statusLine(401, again.statusText)}`);
    throw new BerthError('registry_error', `login attempt to ${url.href} failed with status: ${statusLine(again.status, again.statusText)}`);
  }

  // ---- manifests --------------------------------------------------------------------------

  /**
   * Fetches a manifest by the reference's digest (or tag, `latest` when it has neither). The bytes
   * are always checked: against the requested digest, or the `Docker-Content-Digest` the registry sent.
   */
  async getManifest(ref: Reference, opts: { accept?: string[]; signal?: AbortSignal } = {}): Promise<ManifestResult> {
    const host = this.hostOf(ref.domain);
    const target = ref.digest ?? ref.tag ?? 'latest';
    const res = await this.request(host, {
      url: `/v2/${ref.path}/manifests/${target}`, headers: { Accept: (opts.accept ?? MANIFEST_ACCEPT).join(', ') },
      scopes: [repositoryScope(ref.path, 'pull')], bodyLabel: `manifest ${familiarString(ref)}`,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (!res.ok) throw await this.pullError(res, ref);
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES, `manifest for ${familiarString(ref)}`);
    const headerDigest = res.headers.get('docker-content-digest') ?? undefined;
    const digest = this.checkManifestDigest(bytes, ref, headerDigest);
    const mediaType = manifestMediaType(res.headers.get('content-type'), bytes);
    if (mediaType === MediaType.DockerManifestV1 || mediaType === MediaType.DockerManifestV1Signed) {
      throw new BerthError('unsupported',
        `[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. ` +
        `Suggest the author of ${familiarString(ref)} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. ` +
        'More information at https://docs.docker.com/go/deprecated-image-specs/');
    }
    return { bytes, mediaType, digest };
  }

  private checkManifestDigest(bytes: Uint8Array, ref: Reference, headerDigest: string | undefined): string {
    const expected = ref.digest ?? headerDigest;
    if (expected === undefined) return digestBytes(this.opts.hash, bytes);
    let algorithm: 'sha256' | 'sha512';
    try {
      algorithm = parseDigest(expected).algorithm;
    } catch {
      throw new BerthError('registry_error', `registry ${this.hostOf(ref.domain)} sent an invalid Docker-Content-Digest ${JSON.stringify(expected)} for ${familiarString(ref)}`);
    }
    const actual = digestBytes(this.opts.hash, bytes, algorithm);
    if (actual !== expected) {
      throw new BerthError('digest_mismatch',
        `manifest verification failed for ${familiarString(ref)}: expected digest ${expected}, the registry sent content with digest ${actual}`);
    }
    return actual;
  }

  /** The descriptor of a manifest without downloading it, or undefined when the registry does not have it. */
  async headManifest(ref: Reference, opts: { accept?: string[]; signal?: AbortSignal } = {}): Promise<ManifestDescriptor | undefined> {
    const host = this.hostOf(ref.domain);
    const target = ref.digest ?? ref.tag ?? 'latest';
    const res = await this.request(host, {
      method: 'HEAD', url: `/v2/${ref.path}/manifests/${target}`, headers: { Accept: (opts.accept ?? MANIFEST_ACCEPT).join(', ') },
      scopes: [repositoryScope(ref.path, 'pull')], ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw await this.pullError(res, ref);
    const digest = res.headers.get('docker-content-digest') ?? ref.digest;
    if (!digest) {
      throw new BerthError('registry_error', `registry ${host} answered HEAD for ${familiarString(ref)} without a Docker-Content-Digest header`);
    }
    if (ref.digest && digest !== ref.digest) {
      throw new BerthError('digest_mismatch', `registry ${host} answered ${digest} for ${familiarString(ref)}`);
    }
    return {
      digest, size: Number(res.headers.get('content-length') ?? 0),
      mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(),
    };
  }

  async putManifest(ref: Reference, bytes: Uint8Array, mediaType: string, signal?: AbortSignal): Promise<string> {
    const host = this.hostOf(ref.domain);
    const digest = digestBytes(this.opts.hash, bytes);
    const target = ref.tag ?? ref.digest ?? digest;
    const res = await this.request(host, {
      method: 'PUT', url: `/v2/${ref.path}/manifests/${target}`, headers: { 'Content-Type': mediaType },
      body: bytes, scopes: [repositoryScope(ref.path, 'pull,push')], ...(signal ? { signal } : {}),
    });
    if (!res.ok) throw await this.pushError(res, ref);
    await res.body?.cancel().catch(() => {});
    const answered = res.headers.get('docker-content-digest');
    if (answered && answered.startsWith('sha256:') && answered !== digest) {
      throw new BerthError('digest_mismatch', `registry ${host} stored the manifest for ${familiarString(ref)} as ${answered}, but its digest is ${digest}`);
    }
    return digest;
  }

  async deleteManifest(repo: Repository, digest: string, signal?: AbortSignal): Promise<void> {
    parseDigest(digest);
    await this.deleteThing(repo, `/v2/${repo.path}/manifests/${digest}`, `manifest ${digest}`, signal);
  }

  // ---- blobs ------------------------------------------------------------------------------

  /**
   * A blob as a stream that errors (naming the digest) unless its bytes match `digest` and
   * `size` when given. Redirects to storage backends are followed.
   */
  async getBlob(repo: Repository, digest: string, opts: { size?: number; onProgress?: Progress; signal?: AbortSignal } = {}): Promise<ReadableStream<Uint8Array>> {
    parseDigest(digest);
    const host = this.hostOf(repo.domain);
    const res = await this.request(host, {
      url: `/v2/${repo.path}/blobs/${digest}`, scopes: [repositoryScope(repo.path, 'pull')],
      bodyLabel: `blob ${digest}`, ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (!res.ok) {
      const err = await errorFromResponse(res);
      if (res.status === 404) {
        throw new RegistryError('not_found', `blob ${digest} not found in ${fullName(repo)}: ${err.message}`, err.entries, 404);
      }
      throw this.accessError(err, repo, `downloading blob ${digest} from ${fullName(repo)} failed`);
    }
    if (!res.body) throw new BerthError('registry_error', `registry ${host} answered blob ${digest} without a body`);
    const lengthHeader = res.headers.get('content-length');
    const total = opts.size ?? (lengthHeader ? Number(lengthHeader) : undefined);
    if (opts.size !== undefined && lengthHeader && Number(lengthHeader) !== opts.size && res.headers.get('content-encoding') === null) {
      await res.body.cancel().catch(() => {});
      throw new BerthError('digest_mismatch', `blob ${digest} from ${host} has ${lengthHeader} bytes, but its descriptor says ${opts.size}`);
    }
    let stream: ReadableStream<Uint8Array> = res.body;
    if (opts.onProgress) {
      const onProgress = opts.onProgress;
      let n = 0;
      stream = stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) { n += chunk.byteLength; onProgress(n, total); c.enqueue(chunk); },
      }));
    }
    return stream.pipeThrough(verifyingStream(this.opts.hash, digest, opts.size));
  }

  /** The whole blob, verified; for configs and other small blobs. */
  async getBlobBytes(repo: Repository, digest: string, opts: { size?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const stream = await this.getBlob(repo, digest, opts);
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  /** The blob's size when the repository has it, undefined otherwise. */
  async headBlob(repo: Repository, digest: string, opts: { push?: boolean; signal?: AbortSignal } = {}): Promise<{ size: number } | undefined> {
    parseDigest(digest);
    const host = this.hostOf(repo.domain);
    const res = await this.request(host, {
      method: 'HEAD', url: `/v2/${repo.path}/blobs/${digest}`,
      scopes: [repositoryScope(repo.path, opts.push ? 'pull,push' : 'pull')], ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw this.accessError(await errorFromResponse(res), repo, `checking blob ${digest} in ${fullName(repo)} failed`);
    return { size: Number(res.headers.get('content-length') ?? 0) };
  }

  async deleteBlob(repo: Repository, digest: string, signal?: AbortSignal): Promise<void> {
    parseDigest(digest);
    await this.deleteThing(repo, `/v2/${repo.path}/blobs/${digest}`, `blob ${digest}`, signal);
  }

  private async deleteThing(repo: Repository, url: string, what: string, signal?: AbortSignal): Promise<void> {
    const host = this.hostOf(repo.domain);
    const res = await this.request(host, {
      method: 'DELETE', url, scopes: [repositoryScope(repo.path, 'delete')], ...(signal ? { signal } : {}),
    });
    await drainOk(res);
    if (res.ok) return;
    const err = await errorFromResponse(res);
    if (res.status === 405) {
      throw new RegistryError('unsupported', `registry ${host} does not allow deleting ${what} of ${fullName(repo)}: ${err.message}`, err.entries, 405);
    }
    if (res.status === 404) throw new RegistryError('not_found', `${what} not found in ${fullName(repo)}: ${err.message}`, err.entries, 404);
    throw this.accessError(err, repo, `deleting ${what} from ${fullName(repo)} failed`);
  }

  /**
   * Tries to mount a blob from another repository of the same registry. A registry that cannot
   * (or the blob is not there) answers 202 with an upload session, which the caller then uses.
   */
  async mountBlob(repo: Repository, digest: string, fromPath: string, signal?: AbortSignal): Promise<MountResult> {
    parseDigest(digest);
    const host = this.hostOf(repo.domain);
    const q = new URLSearchParams({ mount: digest, from: fromPath });
    const res = await this.request(host, {
      method: 'POST', url: `/v2/${repo.path}/blobs/uploads/?${q}`, headers: { 'Content-Length': '0' },
      scopes: [repositoryScope(repo.path, 'pull,push'), repositoryScope(fromPath, 'pull')], ...(signal ? { signal } : {}),
    });
    if (res.status === 201) { await drainOk(res); return { mounted: true }; }
    if (res.status === 202) { await drainOk(res); return { mounted: false, location: this.location(res, repo) }; }
    throw this.pushAccessError(await errorFromResponse(res), repo);
  }

  /** Opens an upload session; returns its Location. */
  async startUpload(repo: Repository, signal?: AbortSignal): Promise<string> {
    const host = this.hostOf(repo.domain);
    const res = await this.request(host, {
      method: 'POST', url: `/v2/${repo.path}/blobs/uploads/`, headers: { 'Content-Length': '0' },
      scopes: [repositoryScope(repo.path, 'pull,push')], ...(signal ? { signal } : {}),
    });
    if (res.status !== 202) {
      if (res.ok) { await drainOk(res); throw new BerthError('registry_error', `registry ${host} answered ${statusLine(res.status, res.statusText)} to opening an upload; expected 202 Accepted`); }
      throw this.pushAccessError(await errorFromResponse(res), repo);
    }
    await drainOk(res);
    return this.location(res, repo);
  }

  /**
   * Uploads a blob: opens a session (unless given one), then either one PUT with the whole body
   * (monolithic) or PATCHes of `chunkSize` bytes with Content-Range followed by the closing PUT.
   */
  async uploadBlob(repo: Repository, blob: BlobSourceForPush, opts: UploadOptions = {}): Promise<void> {
    parseDigest(blob.digest);
    const host = this.hostOf(repo.domain);
    let location = opts.location ?? await this.startUpload(repo, opts.signal);
    const scopes = [repositoryScope(repo.path, 'pull,push')];
    const sig = opts.signal ? { signal: opts.signal } : {};
    const label = `upload of blob ${blob.digest}`;

    if (opts.chunkSize && opts.chunkSize > 0) {
      let offset = 0;
      const reader = chunked(await openSource(blob.data), opts.chunkSize).getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const end = offset + value.byteLength - 1;
          const res = await this.request(host, {
            method: 'PATCH', url: location, body: value, scopes, bodyLabel: label, ...sig,
            headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${end}`, 'Content-Length': String(value.byteLength) },
          });
          if (res.status !== 202) throw this.pushAccessError(await errorFromResponse(res, `${label} to ${fullName(repo)} failed at bytes ${offset}-${end}`), repo);
          await drainOk(res);
          location = this.location(res, repo);
          offset = end + 1;
          opts.onProgress?.(offset, blob.size);
        }
      } finally {
        reader.releaseLock();
      }
      if (offset !== blob.size) throw new BerthError('digest_mismatch', `${label}: the source had ${offset} bytes, expected ${blob.size}`);
      await this.finishUpload(repo, location, blob.digest, null, scopes, label, opts.signal);
      return;
    }

    let body: Uint8Array | ReadableStream<Uint8Array>;
    if (blob.data instanceof Uint8Array) {
      body = blob.data;
      if (body.byteLength !== blob.size) throw new BerthError('digest_mismatch', `${label}: the source had ${body.byteLength} bytes, expected ${blob.size}`);
    } else {
      let n = 0;
      const onProgress = opts.onProgress;
      const source: ReadableStream<Uint8Array> = await blob.data();
      body = source.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) { n += chunk.byteLength; onProgress?.(n, blob.size); c.enqueue(chunk); },
      })) as ReadableStream<Uint8Array>;
    }
    await this.finishUpload(repo, location, blob.digest, body, scopes, label, opts.signal);
    if (blob.data instanceof Uint8Array) opts.onProgress?.(blob.size, blob.size);
  }

  private async finishUpload(
    repo: Repository, location: string, digest: string, body: Uint8Array | ReadableStream<Uint8Array> | null,
    scopes: string[], label: string, signal?: AbortSignal,
  ): Promise<void> {
    const host = this.hostOf(repo.domain);
    const url = new URL(location, this.auth.baseUrl(host));
    url.searchParams.set('digest', digest);
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    if (body === null) headers['Content-Length'] = '0';
    const res = await this.request(host, { method: 'PUT', url: url.href, body, headers, scopes, bodyLabel: label, ...(signal ? { signal } : {}) });
    if (res.status !== 201 && res.status !== 204) {
      if (res.ok) { await drainOk(res); throw new BerthError('registry_error', `registry ${host} answered ${statusLine(res.status, res.statusText)} to completing the ${label}; expected 201 Created`); }
      throw this.pushAccessError(await errorFromResponse(res, `${label} to ${fullName(repo)} failed`), repo);
    }
    await drainOk(res);
    const answered = res.headers.get('docker-content-digest');
    if (answered && answered !== digest) {
      throw new BerthError('digest_mismatch', `registry ${host} stored the ${label} as ${answered}`);
    }
  }

  private location(res: Response, repo: Repository): string {
    const loc = res.headers.get('location');
    const host = this.hostOf(repo.domain);
    if (!loc) throw new BerthError('registry_error', `registry ${host} answered ${statusLine(res.status, res.statusText)} without the Location header of the upload`);
    return new URL(loc, this.auth.baseUrl(host)).href;
  }

  // ---- listings ---------------------------------------------------------------------------

  /** One page of tags; `next` is the `last` to pass for the following page, when there is one. */
  async tagsPage(repo: Repository, opts: { n?: number; last?: string; url?: string; signal?: AbortSignal } = {}): Promise<{ tags: string[]; nextUrl?: string }> {
    const host = this.hostOf(repo.domain);
    const q = new URLSearchParams();
    if (opts.n !== undefined) q.set('n', String(opts.n));
    if (opts.last !== undefined) q.set('last', opts.last);
    const url = opts.url ?? `/v2/${repo.path}/tags/list${q.size ? `?${q}` : ''}`;
    const res = await this.request(host, {
      url, scopes: [repositoryScope(repo.path, 'pull')], bodyLabel: `tag list of ${fullName(repo)}`, ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (!res.ok) {
      const err = await errorFromResponse(res);
      if (res.status === 404) throw new RegistryError('not_found', `repository ${familiarName(repo as Reference)} not found: ${err.message}`, err.entries, 404);
      throw this.accessError(err, repo, `listing tags of ${fullName(repo)} failed`);
    }
    const body = await readJson<{ tags?: unknown }>(res, `tag list of ${fullName(repo)}`);
    const tags = Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : [];
    const next = nextLink(res.headers.get('link'));
    return { tags, ...(next ? { nextUrl: new URL(next, this.auth.baseUrl(host)).href } : {}) };
  }

  /** Every tag, following `Link: <...>; rel="next"` pages. */
  async listTags(repo: Repository, opts: { pageSize?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    const all: string[] = [];
    let page = await this.tagsPage(repo, { ...(opts.pageSize ? { n: opts.pageSize } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    all.push(...page.tags);
    for (let i = 0; page.nextUrl && i < 100_000; i++) {
      page = await this.tagsPage(repo, { url: page.nextUrl, ...(opts.signal ? { signal: opts.signal } : {}) });
      all.push(...page.tags);
    }
    return all;
  }

  /** Repositories of a registry (`_catalog`), following pages. */
  async catalog(host: string, opts: { pageSize?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    const all: string[] = [];
    let url: string | undefined = `/v2/_catalog${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
    for (let i = 0; url && i < 100_000; i++) {
      const res: Response = await this.request(host, { url, scopes: ['registry:catalog:*'], ...(opts.signal ? { signal: opts.signal } : {}) });
      if (!res.ok) throw await errorFromResponse(res, `listing the repositories of ${host} failed`);
      const body = await readJson<{ repositories?: unknown }>(res, `catalog of ${host}`);
      if (Array.isArray(body.repositories)) all.push(...body.repositories.filter((r): r is string => typeof r === 'string'));
      const next = nextLink(res.headers.get('link'));
      url = next ? new URL(next, this.auth.baseUrl(host)).href : undefined;
    }
    return all;
  }

  // ---- errors -----------------------------------------------------------------------------

  /** Docker's pull errors: `manifest for x:y not found: ...`, `pull access denied for x, ...`. */
  private async pullError(res: Response, ref: Reference): Promise<RegistryError> {
    const err = await errorFromResponse(res);
    if (err.has('MANIFEST_UNKNOWN') || (res.status === 404 && !err.entries.length)) {
      const text = err.entries.length ? err.message : 'manifest unknown: manifest unknown';
      return new RegistryError('not_found', `manifest for ${familiarString(ref)} not found: ${text}`, err.entries, res.status);
    }
    if (err.has('NAME_UNKNOWN')) {
      return new RegistryError('not_found', `repository ${familiarName(ref)} not found: ${err.message}`, err.entries, res.status);
    }
    if (err.has('DENIED') || err.has('UNAUTHORIZED') || res.status === 401 || res.status === 403) {
      return new RegistryError(err.code, `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${err.message}`, err.entries, res.status);
    }
    return err;
  }

  private async pushError(res: Response, ref: Reference): Promise<RegistryError> {
    return this.pushAccessError(await errorFromResponse(res), ref);
  }

  private pushAccessError(err: RegistryError, _repo: Repository): RegistryError {
    // Docker prints registry errors on push as they are (`denied: requested access to the resource is denied`).
    return err;
  }

  private accessError(err: RegistryError, repo: Repository, context: string): RegistryError {
    if (err.has('DENIED') || err.has('UNAUTHORIZED')) return err;
    return new RegistryError(err.code, `${context}: ${err.message}`, err.entries, err.httpStatus);
  }
}

// ---- helpers ------------------------------------------------------------------------------

async function drainOk(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => {});
}

async function readLimited(res: Response, limit: number, what: string): Promise<Uint8Array> {
  const length = Number(res.headers.get('content-length') ?? NaN);
  if (length > limit) {
    await res.body?.cancel().catch(() => {});
    throw new BerthError('invalid_manifest', `${what} is ${length} bytes, more than the ${limit} bytes allowed`);
  }
  if (!res.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > limit) {
      await reader.cancel().catch(() => {});
      throw new BerthError('invalid_manifest', `${what} is more than the ${limit} bytes allowed`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.byteLength; }
  return out;
}

async function readJson<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new BerthError('registry_error', `${what}: the registry answered with something that is not JSON`);
  }
}

/** The media type of a manifest: the Content-Type when it is a real one, else what the JSON says. */
export function manifestMediaType(contentType: string | null, bytes: Uint8Array): string {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct && ct !== 'application/json' && ct !== 'text/plain' && ct !== 'application/octet-stream') return ct;
  try {
    const m = JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: unknown; manifests?: unknown; config?: unknown; schemaVersion?: unknown };
    if (typeof m.mediaType === 'string' && m.mediaType) return m.mediaType;
    if (m.schemaVersion === 1) return MediaType.DockerManifestV1;
    if (Array.isArray(m.manifests)) return MediaType.OCIIndex;
    if (m.config) return MediaType.OCIManifest;
  } catch { /* the caller's parser reports bad JSON */ }
  return ct || MediaType.OCIManifest;
}

async function openSource(data: Uint8Array | (() => Promise<ReadableStream<Uint8Array>>)): Promise<ReadableStream<Uint8Array>> {
  if (!(data instanceof Uint8Array)) return data();
  return new ReadableStream({ start(c) { c.enqueue(data); c.close(); } });
}

/** Re-cuts a stream into pieces of exactly `size` bytes (the last may be shorter). */
export function chunked(stream: ReadableStream<Uint8Array>, size: number): ReadableStream<Uint8Array> {
  let buf = new Uint8Array(size);
  let fill = 0;
  return stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      let off = 0;
      while (off < chunk.byteLength) {
        const take = Math.min(size - fill, chunk.byteLength - off);
        buf.set(chunk.subarray(off, off + take), fill);
        fill += take;
        off += take;
        if (fill === size) { c.enqueue(buf); buf = new Uint8Array(size); fill = 0; }
      }
    },
    flush(c) { if (fill) c.enqueue(buf.subarray(0, fill)); },
  }));
}
