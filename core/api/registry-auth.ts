// The X-Registry-Auth header: base64url JSON of Docker's AuthConfig (the CLI sends `e30=`, `{}`,
// when it has no credentials).
import { decodeBase64Text } from '../auth/base64.ts';
import type { Credentials } from '../auth/credentials.ts';
import { BerthError } from '../errors.ts';

export function registryAuth(header: string | null): Credentials | undefined {
  if (!header || header.trim() === '') return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(decodeBase64Text(header.trim().replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
  } catch {
    throw new BerthError('invalid_argument', 'invalid X-Registry-Auth header: it must be base64url-encoded JSON');
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const str = (k: string) => (typeof doc[k] === 'string' && doc[k] !== '' ? doc[k] as string : undefined);
  let username = str('username');
  let password = str('password');
  const auth = str('auth');
  if (auth && !username) {
    const plain = decodeBase64Text(auth);
    const i = plain.indexOf(':');
    if (i > 0) { username = plain.slice(0, i); password = plain.slice(i + 1); }
  }
  const c: Credentials = {};
  if (username) c.username = username;
  if (password) c.password = password;
  const it = str('identitytoken');
  if (it) c.identitytoken = it;
  const rt = str('registrytoken');
  if (rt) c.registrytoken = rt;
  return Object.keys(c).length ? c : undefined;
}
