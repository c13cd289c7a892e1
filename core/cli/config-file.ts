// The client's config.json, in the docker CLI's format and place ($DOCKER_CONFIG, --config or
// ~/.docker), so `berth login` and `docker login` share credentials. Fields berth does not know
// are kept as they were.
import { decodeBase64Text, encodeBase64 } from '../auth/base64.ts';
import type { Credentials } from '../auth/credentials.ts';
import { BerthError } from '../errors.ts';
import type { CliFiles } from './host.ts';

/** Docker Hub's key in `auths`, as the docker CLI writes it. */
export const INDEX_SERVER = 'https://index.docker.io/v1/';

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
}

export interface ConfigData {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  imagesFormat?: string;
  [k: string]: unknown;
}

export function configDir(opts: { flag?: string; env: Record<string, string | undefined>; homeDir: string }): string {
  if (opts.flag) return opts.flag;
  if (opts.env.DOCKER_CONFIG) return opts.env.DOCKER_CONFIG;
  return `${opts.homeDir.replace(/\/+$/, '')}/.docker`;
}

/** The key Docker stores a registry's credentials under: Docker Hub's URL, else the bare host. */
export function credentialsKey(server: string): string {
  const s = server.trim();
  if (s === '' || s === 'docker.io' || s === 'index.docker.io' || s === 'registry-1.docker.io' || s === INDEX_SERVER || s === 'https://index.docker.io/v1') return INDEX_SERVER;
  // registry.ConvertToHostname: drop the scheme and any path.
  return s.replace(/^https?:\/\//, '').split('/')[0]!;
}

export class ConfigFile {
  constructor(readonly path: string, readonly data: ConfigData, private readonly files: CliFiles) {}

  static async load(files: CliFiles, dir: string): Promise<ConfigFile> {
    const path = `${dir.replace(/\/+$/, '')}/config.json`;
    const text = await files.readText(path);
    let data: ConfigData = {};
    if (text !== undefined && text.trim() !== '') {
      try {
        data = JSON.parse(text) as ConfigData;
      } catch (e) {
        throw new BerthError('invalid_argument', `loading config file: ${path}: ${(e as Error).message}`);
      }
    }
    return new ConfigFile(path, data, files);
  }

  /** Credentials for a registry host (`127.0.0.1:5000`, `docker.io`). */
  credentials(server: string): Credentials | undefined {
    const key = credentialsKey(server);
    const auths = this.data.auths ?? {};
    const entry = auths[key] ?? Object.entries(auths).find(([k]) => credentialsKey(k) === key)?.[1];
    if (!entry) return undefined;
    const c: Credentials = {};
    if (entry.auth) {
      const text = decodeBase64Text(entry.auth);
      const i = text.indexOf(':');
      if (i < 0) throw new BerthError('invalid_argument', `invalid auth configuration file: ${this.path}`);
      c.username = text.slice(0, i);
      c.password = text.slice(i + 1);
    } else {
      if (entry.username) c.username = entry.username;
      if (entry.password) c.password = entry.password;
    }
    if (entry.identitytoken) c.identitytoken = entry.identitytoken;
    if (entry.registrytoken) c.registrytoken = entry.registrytoken;
    return c;
  }

  async storeCredentials(server: string, c: Credentials): Promise<void> {
    const entry: AuthEntry = {};
    if (c.username !== undefined && (c.password !== undefined || !c.identitytoken)) {
      entry.auth = encodeBase64(`${c.username}:${c.identitytoken ? '' : (c.password ?? '')}`);
    }
    if (c.identitytoken) {
      entry.auth = encodeBase64(`${c.username ?? ''}:`);
      entry.identitytoken = c.identitytoken;
    }
    this.data.auths = { ...(this.data.auths ?? {}), [credentialsKey(server)]: entry };
    await this.save();
  }

  /** Returns false when there was nothing stored for the server. */
  async removeCredentials(server: string): Promise<boolean> {
    const key = credentialsKey(server);
    const auths = this.data.auths ?? {};
    const had = key in auths;
    delete auths[key];
    this.data.auths = auths;
    await this.save();
    return had;
  }

  /** Written as the docker CLI writes it: tab-indented, mode 0600. */
  async save(): Promise<void> {
    await this.files.writeText(this.path, JSON.stringify(this.data, null, '\t'), 0o600);
  }
}

/** X-Registry-Auth: base64url of Docker's AuthConfig JSON (`e30=` for none). */
export function encodeRegistryAuth(c: Credentials | undefined, serverAddress?: string): string {
  if (!c) return encodeBase64('{}', true);
  const o: Record<string, string> = {};
  if (c.username) o.username = c.username;
  if (c.password) o.password = c.password;
  if (serverAddress) o.serveraddress = serverAddress;
  if (c.identitytoken) o.identitytoken = c.identitytoken;
  if (c.registrytoken) o.registrytoken = c.registrytoken;
  return encodeBase64(JSON.stringify(o), true);
}
