// Credentials in Docker's `config.json` (`{"auths":{"host":{"auth":"base64(user:pass)"}}}`), read
// and written through a tiny text-file interface so the browser host can keep the file elsewhere.
// Everything berth does not manage — credsStore, credHelpers, proxies, other fields — is kept as is.
import { BerthError } from '../errors.ts';
import { isDockerHub } from '../reference/reference.ts';
import { decodeBase64Text, encodeBase64 } from './base64.ts';
import type { Credentials, CredentialsLookup } from './credentials.ts';

/** The file holding config.json: `read` gives undefined when it does not exist yet. */
export interface TextFile {
  read(): Promise<string | undefined>;
  write(text: string): Promise<void>;
}

/** The key Docker stores Docker Hub's login under. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
  [k: string]: unknown;
}

interface ConfigJson {
  auths?: Record<string, AuthEntry>;
  [k: string]: unknown;
}

/** Docker's ConvertToHostname: `https://host:5000/v2/` -> `host:5000`. */
export function hostnameOfKey(key: string): string {
  const s = key.replace(/^https?:\/\//, '');
  const i = s.indexOf('/');
  return i >= 0 ? s.slice(0, i) : s;
}

/** The key credentials for `host` are stored under: Docker Hub's URL for Hub, the host otherwise. */
export function credentialKey(host: string): string {
  const h = hostnameOfKey(host.trim());
  return isDockerHub(h) || h === 'index.docker.io' ? DOCKER_HUB_KEY : h;
}

async function readConfig(file: TextFile): Promise<ConfigJson> {
  const text = await file.read();
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BerthError('invalid_config', `loading config file failed: it is not valid JSON (${(e as Error).message}); fix or remove it`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BerthError('invalid_config', 'loading config file failed: it must hold a JSON object; fix or remove it');
  }
  return parsed as ConfigJson;
}

async function writeConfig(file: TextFile, config: ConfigJson): Promise<void> {
  // Docker writes the file with tab indentation; keep diffs of hand-edited files small.
  await file.write(JSON.stringify(config, null, '\t') + '\n');
}

function findEntry(auths: Record<string, AuthEntry> | undefined, host: string): [string, AuthEntry] | undefined {
  if (!auths) return undefined;
  const key = credentialKey(host);
  if (auths[key]) return [key, auths[key]];
  const want = hostnameOfKey(key);
  for (const [k, v] of Object.entries(auths)) {
    if (hostnameOfKey(k) === want || credentialKey(k) === key) return [k, v];
  }
  return undefined;
}

function entryCredentials(e: AuthEntry): Credentials | undefined {
  const out: Credentials = {};
  if (typeof e.auth === 'string' && e.auth) {
    let text: string;
    try {
      text = decodeBase64Text(e.auth);
    } catch {
      throw new BerthError('invalid_config', 'config file has an "auth" entry that is not base64: log in again');
    }
    const i = text.indexOf(':');
    if (i < 0) throw new BerthError('invalid_config', 'config file has an "auth" entry without "user:password": log in again');
    out.username = text.slice(0, i);
    out.password = text.slice(i + 1);
  } else {
    if (typeof e.username === 'string') out.username = e.username;
    if (typeof e.password === 'string') out.password = e.password;
  }
  if (typeof e.identitytoken === 'string' && e.identitytoken) {
    out.identitytoken = e.identitytoken;
    if (out.password === '') delete out.password;
  }
  if (typeof e.registrytoken === 'string' && e.registrytoken) out.registrytoken = e.registrytoken;
  return Object.keys(out).length ? out : undefined;
}

/** The stored login for a registry host (or Hub's key), or undefined. */
export async function loadCredentials(file: TextFile, host: string): Promise<Credentials | undefined> {
  const found = findEntry((await readConfig(file)).auths, host);
  return found ? entryCredentials(found[1]) : undefined;
}

/** Every stored login, by key, as `docker login` left them. */
export async function listCredentials(file: TextFile): Promise<Record<string, Credentials>> {
  const out: Record<string, Credentials> = {};
  for (const [k, v] of Object.entries((await readConfig(file)).auths ?? {})) {
    const c = entryCredentials(v);
    if (c) out[k] = c;
  }
  return out;
}

/**
 * Stores a login as `docker login` does: `auth` is base64(user:password); with an identity token
 * the password is not kept. Other fields of the entry and of the file are preserved.
 */
export async function storeCredentials(file: TextFile, host: string, username: string, password: string, extra: { identitytoken?: string } = {}): Promise<void> {
  const config = await readConfig(file);
  const auths = (config.auths && typeof config.auths === 'object') ? config.auths : {};
  const existing = findEntry(auths, host);
  const key = existing?.[0] ?? credentialKey(host);
  const entry: AuthEntry = { ...(existing?.[1] ?? {}) };
  delete entry.username;
  delete entry.password;
  delete entry.identitytoken;
  entry.auth = encodeBase64(`${username}:${extra.identitytoken ? '' : password}`);
  if (extra.identitytoken) entry.identitytoken = extra.identitytoken;
  config.auths = { ...auths, [key]: entry };
  await writeConfig(file, config);
}

/** Removes a login; false when there was none (`docker logout` then says "Not logged in to ..."). */
export async function removeCredentials(file: TextFile, host: string): Promise<boolean> {
  const config = await readConfig(file);
  const found = findEntry(config.auths, host);
  if (!found || !config.auths) return false;
  delete config.auths[found[0]];
  await writeConfig(file, config);
  return true;
}

/** A RegistryClient credentials lookup reading the file on every call (logins may change while running). */
export function credentialsFromFile(file: TextFile): CredentialsLookup {
  return (registryHost) => loadCredentials(file, registryHost);
}
