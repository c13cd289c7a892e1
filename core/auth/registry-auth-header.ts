// The `X-Registry-Auth` header docker CLIs send with pull and push: base64url of a JSON AuthConfig
// (`e30=` — `{}` — for none), and `X-Registry-Config` (build), a map of those by registry.
import { BerthError } from '../errors.ts';
import { decodeBase64Text, encodeBase64 } from './base64.ts';
import type { Credentials } from './credentials.ts';

export interface RegistryAuth {
  username?: string;
  password?: string;
  /** Base64 of `user:password`, as in config.json; some clients send only this. */
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
}

const FIELDS = ['username', 'password', 'auth', 'serveraddress', 'identitytoken', 'registrytoken', 'email'] as const;

function pick(o: Record<string, unknown>): RegistryAuth {
  const out: RegistryAuth = {};
  for (const f of FIELDS) if (typeof o[f] === 'string' && o[f] !== '') out[f] = o[f] as string;
  return out;
}

function decodeJson(header: string, name: string): Record<string, unknown> {
  let text: string;
  try {
    text = decodeBase64Text(header);
  } catch {
    throw new BerthError('invalid_argument', `invalid ${name} header: not base64url-encoded JSON`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BerthError('invalid_argument', `invalid ${name} header: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BerthError('invalid_argument', `invalid ${name} header: not a JSON object`);
  return parsed as Record<string, unknown>;
}

/** The AuthConfig in an X-Registry-Auth header; undefined for none (absent, empty or `{}`). */
export function decodeRegistryAuth(header: string | null | undefined): RegistryAuth | undefined {
  if (!header || !header.trim()) return undefined;
  const auth = pick(decodeJson(header.trim(), 'X-Registry-Auth'));
  return Object.keys(auth).length ? auth : undefined;
}

/** What a docker CLI would send; `e30=` for no credentials. */
export function encodeRegistryAuth(auth?: RegistryAuth): string {
  return encodeBase64(JSON.stringify(auth ? pick(auth as Record<string, unknown>) : {}), true);
}

/** X-Registry-Config as a docker CLI sends it: each AuthConfig with its empty fields left out. */
export function encodeRegistryConfig(auths: Record<string, RegistryAuth>): string {
  const out: Record<string, RegistryAuth> = {};
  for (const [k, v] of Object.entries(auths)) out[k] = pick(v as Record<string, unknown>);
  return encodeBase64(JSON.stringify(out), true);
}

/** X-Registry-Config: `{ "host": AuthConfig, ... }`. */
export function decodeRegistryConfig(header: string | null | undefined): Record<string, RegistryAuth> {
  if (!header || !header.trim()) return {};
  const out: Record<string, RegistryAuth> = {};
  for (const [k, v] of Object.entries(decodeJson(header.trim(), 'X-Registry-Config'))) {
    if (v && typeof v === 'object' && !Array.isArray(v)) out[k] = pick(v as Record<string, unknown>);
  }
  return out;
}

/** The credentials an AuthConfig carries, for the registry client. */
export function authCredentials(a: RegistryAuth | undefined): Credentials | undefined {
  if (!a) return undefined;
  const c: Credentials = {};
  if (a.username !== undefined) c.username = a.username;
  if (a.password !== undefined) c.password = a.password;
  if (a.auth && c.username === undefined) {
    try {
      const text = decodeBase64Text(a.auth);
      const i = text.indexOf(':');
      if (i >= 0) { c.username = text.slice(0, i); c.password = text.slice(i + 1); }
    } catch { /* an unreadable auth field is no credential */ }
  }
  if (a.identitytoken) c.identitytoken = a.identitytoken;
  if (a.registrytoken) c.registrytoken = a.registrytoken;
  return Object.keys(c).length ? c : undefined;
}
