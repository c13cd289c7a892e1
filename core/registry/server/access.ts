// Optional access control for the registry server: users from htpasswd content (bcrypt, as
// `htpasswd -Bbn` writes), checked on every request with Basic auth, or — the Bearer scheme —
// exchanged at a built-in token endpoint for short-lived tokens scoped to repositories and actions,
// the flow Docker Hub uses. Tokens live in memory: a restart logs everyone out, which is fine for
// tokens that last minutes.
import { bcryptVerify } from 'hash-wasm';
import type { HashFactory } from '../../host.ts';
import { decodeBase64Text, encodeBase64 } from '../../auth/base64.ts';
import { SpecError } from './spec-error.ts';

export interface RegistryAuthOptions {
  /** `user:hash` lines with bcrypt hashes (`$2y$`, `$2a$`, `$2b$`), as `htpasswd -Bbn user pass` prints them. */
  htpasswd: string;
  /** `basic`: every request carries the password. `bearer`: clients fetch tokens from the built-in endpoint. */
  scheme: 'basic' | 'bearer';
  /** Basic realm; also the Bearer `service`. */
  realm?: string;
  /** Let anyone pull without logging in. */
  anonymousPull?: boolean;
  /** Lifetime of a Bearer token. Default 300. */
  tokenTtlSeconds?: number;
  /** Path of the token endpoint on this server. Default `/token`. */
  tokenPath?: string;
}

/** What a request needs: an action set on a repository, the catalog, or only a valid login (`/v2/`). */
export type Need =
  | { type: 'repository'; name: string; actions: string[] }
  | { type: 'registry'; name: 'catalog'; actions: string[] }
  | { type: 'base' };

interface Grant { user: string | undefined; access: Map<string, Set<string>>; expiresAt: number }

const KNOWN_ACTIONS = new Set(['pull', 'push', 'delete', '*']);

export function parseHtpasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i <= 0) continue;
    users.set(line.slice(0, i), line.slice(i + 1));
  }
  return users;
}

/** `repository:a/b:pull,push` -> resource key and actions. Names may not contain ':', hosts are not part of them. */
function parseScope(scope: string): { key: string; type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = scope.slice(0, first);
  const name = scope.slice(first + 1, last);
  return { key: `${type}:${name}`, type, name, actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

export class Access {
  private readonly users: Map<string, string>;
  private readonly verified = new Map<string, string>();
  private readonly tokens = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, string>();
  private readonly realm: string;
  private readonly ttl: number;
  readonly tokenPath: string;

  constructor(private readonly opts: RegistryAuthOptions, private readonly hash: HashFactory) {
    this.users = parseHtpasswd(opts.htpasswd);
    this.realm = opts.realm ?? 'berth-registry';
    this.ttl = opts.tokenTtlSeconds ?? 300;
    this.tokenPath = opts.tokenPath ?? '/token';
  }

  /** Checks a password against htpasswd; successful checks are remembered (bcrypt is slow on purpose). */
  async verifyPassword(user: string, password: string): Promise<boolean> {
    const stored = this.users.get(user);
    if (!stored) return false;
    const h = this.hash('sha256');
    h.update(new TextEncoder().encode(`${user}\0${password}\0${stored}`));
    const key = h.digest();
    if (this.verified.get(user) === key) return true;
    let ok = false;
    try { ok = await bcryptVerify({ password, hash: stored }); } catch { ok = false; }
    if (ok) this.verified.set(user, key);
    return ok;
  }

  private async basicUser(req: Request): Promise<string | undefined | 'invalid'> {
    const h = req.headers.get('authorization');
    if (!h || !/^basic /i.test(h)) return undefined;
    let text: string;
    try { text = decodeBase64Text(h.slice(6)); } catch { return 'invalid'; }
    const i = text.indexOf(':');
    if (i < 0) return 'invalid';
    const user = text.slice(0, i);
    return (await this.verifyPassword(user, text.slice(i + 1))) ? user : 'invalid';
  }

  private allowedActions(user: string | undefined, type: string, name: string, wanted: string[]): string[] {
    if (user !== undefined) {
      if (type === 'registry' && name === 'catalog') return wanted.filter((a) => a === '*');
      if (type === 'repository') return wanted.filter((a) => KNOWN_ACTIONS.has(a));
      return [];
    }
    return this.opts.anonymousPull && type === 'repository' ? wanted.filter((a) => a === 'pull') : [];
  }

  private challenge(req: Request, need: Need, error?: string): Record<string, string> {
    if (this.opts.scheme === 'basic') return { 'WWW-Authenticate': `Basic realm="${this.realm}"` };
    const origin = new URL(req.url).origin;
    let value = `Bearer realm="${origin}${this.tokenPath}",service="${this.realm}"`;
    if (need.type !== 'base') value += `,scope="${need.type}:${need.name}:${need.actions.join(',')}"`;
    if (error) value += `,error="${error}"`;
    return { 'WWW-Authenticate': value };
  }

  /** Throws a 401 SpecError with the right challenge unless the request may do what it needs. */
  async check(req: Request, need: Need): Promise<void> {
    if (this.opts.scheme === 'basic') {
      const user = await this.basicUser(req);
      if (typeof user === 'string' && user !== 'invalid') return;
      if (user === undefined && this.opts.anonymousPull && need.type === 'repository' && need.actions.every((a) => a === 'pull')) return;
      if (user === undefined && this.opts.anonymousPull && need.type === 'base') return;
      throw new SpecError(401, 'UNAUTHORIZED', 'authentication required', undefined, this.challenge(req, need));
    }
    const h = req.headers.get('authorization');
    const token = h && /^bearer /i.test(h) ? h.slice(7).trim() : undefined;
    const grant = token ? this.tokens.get(token) : undefined;
    if (!grant || grant.expiresAt <= Date.now()) {
      throw new SpecError(401, 'UNAUTHORIZED', 'authentication required', undefined, this.challenge(req, need, token ? 'invalid_token' : undefined));
    }
    if (need.type === 'base') return;
    const have = grant.access.get(`${need.type}:${need.name}`);
    if (need.actions.every((a) => have?.has(a) || have?.has('*'))) return;
    throw new SpecError(401, 'UNAUTHORIZED', 'authentication required',
      [{ Type: need.type, Name: need.name, Action: need.actions.join(',') }], this.challenge(req, need, 'insufficient_scope'));
  }

  /** True when the request's token (or Basic login) allows pulling from `name`: mounts need that. */
  async mayPull(req: Request, name: string): Promise<boolean> {
    try { await this.check(req, { type: 'repository', name, actions: ['pull'] }); return true; } catch { return false; }
  }

  /** The built-in token endpoint (GET with optional Basic auth, or the OAuth2 POST form). */
  async token(req: Request): Promise<Response> {
    const url = new URL(req.url);
    let user: string | undefined;
    let scopes: string[] = [];
    let offline = false;
    if (req.method === 'POST') {
      const form = new URLSearchParams(await req.text());
      const grant = form.get('grant_type');
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      offline = form.get('access_type') === 'offline';
      if (grant === 'password') {
        const u = form.get('username') ?? '';
        if (!(await this.verifyPassword(u, form.get('password') ?? ''))) return denied();
        user = u;
      } else if (grant === 'refresh_token') {
        const u = this.refreshTokens.get(form.get('refresh_token') ?? '');
        if (u === undefined) return denied('invalid refresh token');
        user = u;
      } else {
        return new Response(JSON.stringify({ error: 'unsupported_grant_type' }), { status: 400, headers: { 'Content-Type': 'application/json' } });
      }
    } else if (req.method === 'GET') {
      const u = await this.basicUser(req);
      if (u === 'invalid') return denied();
      user = u;
      scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      offline = url.searchParams.get('offline_token') === 'true';
    } else {
      return new Response(null, { status: 405, headers: { Allow: 'GET, POST' } });
    }

    const access = new Map<string, Set<string>>();
    for (const s of scopes) {
      const p = parseScope(s);
      if (!p) continue;
      const actions = this.allowedActions(user, p.type, p.name, p.actions);
      if (!actions.length) continue;
      const set = access.get(p.key) ?? new Set<string>();
      for (const a of actions) set.add(a);
      access.set(p.key, set);
    }
    const now = Date.now();
    for (const [t, g] of this.tokens) if (g.expiresAt <= now) this.tokens.delete(t);
    const token = randomToken();
    this.tokens.set(token, { user, access, expiresAt: now + this.ttl * 1000 });
    const body: Record<string, unknown> = {
      token, access_token: token, expires_in: this.ttl, issued_at: new Date(now).toISOString(),
    };
    if (offline && user !== undefined) {
      const refresh = randomToken();
      this.refreshTokens.set(refresh, user);
      body.refresh_token = refresh;
    }
    return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
  }
}

function denied(message = 'incorrect username or password'): Response {
  return new Response(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message }], details: message }), {
    status: 401, headers: { 'Content-Type': 'application/json' },
  });
}

function randomToken(): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(32)), true).replace(/=+$/, '');
}
