// Authorization for registry requests: learns each host's challenge from the `/v2/` ping, then
// answers it — Basic with the stored password, or a Bearer token fetched from the challenge's
// realm (anonymously, with Basic credentials over GET, or as an OAuth2 form POST with an identity
// token) and cached per host and scope set until shortly before it expires.
import type { Fetch } from '../host.ts';
import { BerthError } from '../errors.ts';
import type { Credentials, CredentialsLookup } from '../auth/credentials.ts';
import { encodeBase64 } from '../auth/base64.ts';
import { parseChallenges, type Challenge } from './challenge.ts';
import { send } from './transport.ts';
import { errorFromResponse, RegistryError } from './registry-error.ts';

export interface AuthenticatorOptions {
  fetch: Fetch;
  scheme: (host: string) => 'http' | 'https';
  credentials?: CredentialsLookup;
  timeoutMs: number;
  userAgent: string;
  /** The OAuth2 client id sent to token servers. */
  clientId: string;
}

interface CachedToken { token: string; expiresAt: number }

export interface TokenResponse {
  token: string;
  refreshToken?: string;
  expiresIn: number;
}

/** Tokens are renewed this long before they expire, so a request never carries one that lapses in flight. */
const EXPIRY_MARGIN_MS = 10_000;
/** The distribution spec's lifetime for tokens that do not say. */
const DEFAULT_EXPIRES_IN = 60;

export function repositoryScope(path: string, actions: string): string {
  return `repository:${path}:${actions}`;
}

export class Authenticator {
  private readonly challenges = new Map<string, Promise<Challenge[]>>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly opts: AuthenticatorOptions) {}

  baseUrl(host: string): string {
    return `${this.opts.scheme(host)}://${host}`;
  }

  /** The host's challenges, from a cached `/v2/` ping. A failed ping is not cached. */
  challengesFor(host: string, signal?: AbortSignal): Promise<Challenge[]> {
    let p = this.challenges.get(host);
    if (!p) {
      p = this.ping(host, signal);
      this.challenges.set(host, p);
      p.catch(() => this.challenges.delete(host));
    }
    return p;
  }

  private async ping(host: string, signal?: AbortSignal): Promise<Challenge[]> {
    const res = await send(this.opts.fetch, new URL(`${this.baseUrl(host)}/v2/`), {
      headers: { 'User-Agent': this.opts.userAgent },
    }, { host, timeoutMs: this.opts.timeoutMs, ...(signal ? { signal } : {}) });
    await res.body?.cancel().catch(() => {});
    // Anything but 401 means "no auth needed here"; real failures show on the request itself.
    return res.status === 401 ? parseChallenges(res.headers.get('www-authenticate')) : [];
  }

  /** A 401 told us the challenge (again): remember it and drop the tokens it invalidated. */
  rechallenge(host: string, header: string | null, scopes: string[]): Challenge[] {
    const parsed = parseChallenges(header);
    if (parsed.length) this.challenges.set(host, Promise.resolve(parsed));
    this.tokens.delete(tokenKey(host, scopes));
    return parsed;
  }

  /** The `Authorization` header for a request to `host` needing `scopes`, or undefined when none applies. */
  async authorization(host: string, scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    const challenges = await this.challengesFor(host, signal);
    if (!challenges.length) return undefined;
    const creds = await this.opts.credentials?.(host);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      if (creds?.registrytoken) return `Bearer ${creds.registrytoken}`;
      return `Bearer ${await this.token(host, bearer, scopes, creds, signal)}`;
    }
    if (challenges.some((c) => c.scheme === 'basic') && creds?.username && creds.password !== undefined) {
      return `Basic ${encodeBase64(`${creds.username}:${creds.password}`)}`;
    }
    return undefined;
  }

  private async token(host: string, challenge: Challenge, scopes: string[], creds: Credentials | undefined, signal?: AbortSignal): Promise<string> {
    const scopeSet = [...new Set([...scopes, ...(challenge.params.scope ? challenge.params.scope.split(' ') : [])])].sort();
    const key = tokenKey(host, scopeSet);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = (async () => {
      const t = await this.fetchToken(host, challenge, scopeSet, creds, {}, signal);
      this.tokens.set(key, { token: t.token, expiresAt: Date.now() + Math.max(t.expiresIn * 1000 - EXPIRY_MARGIN_MS, 1000) });
      return t.token;
    })();
    this.inflight.set(key, p);
    try { return await p; } finally { this.inflight.delete(key); }
  }

  /** Asks the challenge's realm for a token (Docker's registry/client/auth session logic). */
  async fetchToken(
    host: string, challenge: Challenge, scopes: string[], creds: Credentials | undefined,
    extra: { offline?: boolean }, signal?: AbortSignal,
  ): Promise<TokenResponse> {
    const realmText = challenge.params.realm;
    let realm: URL;
    try {
      realm = new URL(realmText ?? '');
      if (realm.protocol !== 'http:' && realm.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw new BerthError('registry_error', `registry ${host} sent an unusable token realm ${JSON.stringify(realmText ?? '')} in its WWW-Authenticate header`);
    }
    const service = challenge.params.service;
    const realmHost = realm.host;
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent };
    const sendOpts = { host: realmHost, timeoutMs: this.opts.timeoutMs, bodyLabel: 'token response', ...(signal ? { signal } : {}) };

    if (creds?.identitytoken) {
      const form = new URLSearchParams();
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', creds.identitytoken);
      form.set('client_id', this.opts.clientId);
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      if (extra.offline) form.set('access_type', 'offline');
      const res = await send(this.opts.fetch, realm, {
        method: 'POST', body: form.toString(),
        headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      }, sendOpts);
      if (res.ok) return readToken(res, realm);
      throw await tokenError(res, realm, true);
    }

    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    for (const s of scopes) url.searchParams.append('scope', s);
    if (creds?.username && creds.password !== undefined) {
      url.searchParams.set('account', creds.username);
      headers.Authorization = `Basic ${encodeBase64(`${creds.username}:${creds.password}`)}`;
    }
    if (extra.offline) {
      url.searchParams.set('offline_token', 'true');
      url.searchParams.set('client_id', this.opts.clientId);
    }
    const res = await send(this.opts.fetch, url, { headers }, sendOpts);
    if (res.ok) return readToken(res, realm);
    throw await tokenError(res, realm, !!headers.Authorization);
  }
}

function tokenKey(host: string, scopes: string[]): string {
  return `${host} ${[...scopes].sort().join(' ')}`;
}

async function readToken(res: Response, realm: URL): Promise<TokenResponse> {
  let body: { token?: unknown; access_token?: unknown; refresh_token?: unknown; expires_in?: unknown };
  try {
    body = await res.json() as typeof body;
  } catch (e) {
    if (e instanceof BerthError) throw e;
    throw new BerthError('registry_error', `token server ${realm.origin}${realm.pathname} answered with something that is not JSON`);
  }
  const token = typeof body.access_token === 'string' && body.access_token ? body.access_token
    : typeof body.token === 'string' && body.token ? body.token : undefined;
  if (!token) throw new BerthError('registry_error', `token server ${realm.origin}${realm.pathname} answered without a token`);
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_EXPIRES_IN;
  return { token, expiresIn, ...(typeof body.refresh_token === 'string' && body.refresh_token ? { refreshToken: body.refresh_token } : {}) };
}

async function tokenError(res: Response, realm: URL, withCredentials: boolean): Promise<RegistryError> {
  const err = await errorFromResponse(res);
  if (res.status === 401 && withCredentials) {
    // Docker Hub's wording; what users search for when their password is wrong.
    const detail = err.entries[0]?.message;
    return new RegistryError('unauthorized', `unauthorized: ${detail && detail !== 'authentication required' ? detail : 'incorrect username or password'}`, err.entries, 401);
  }
  return new RegistryError(err.code, `getting a token from ${realm.origin}${realm.pathname} failed: ${err.message}`, err.entries, err.httpStatus);
}
