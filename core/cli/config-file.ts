// The client's config.json in the docker CLI's place ($DOCKER_CONFIG, --config or ~/.docker), so
// `berth login` and `docker login` share credentials. The credential format itself is core/auth's;
// this adds where the file lives and the CLI's own settings (imagesFormat, credsStore).
import { credentialKey, DOCKER_HUB_KEY, listCredentials, loadCredentials, removeCredentials, storeCredentials, type TextFile } from '../auth/docker-config.ts';
import type { Credentials } from '../auth/credentials.ts';
import { encodeRegistryAuth as encodeAuthHeader } from '../auth/registry-auth-header.ts';
import { BerthError } from '../errors.ts';
import type { CliFiles } from './host.ts';

/** Docker Hub's key in `auths`, as the docker CLI writes it. */
export const INDEX_SERVER = DOCKER_HUB_KEY;

export interface ConfigData {
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
  return server.trim() === '' ? INDEX_SERVER : credentialKey(server);
}

export class ConfigFile {
  private readonly file: TextFile;

  constructor(readonly path: string, readonly data: ConfigData, files: CliFiles) {
    // The file holds secrets: docker keeps it 0600.
    this.file = { read: () => files.readText(path), write: (text) => files.writeText(path, text, 0o600) };
  }

  static async load(files: CliFiles, dir: string): Promise<ConfigFile> {
    const path = `${dir.replace(/\/+$/, '')}/config.json`;
    const text = await files.readText(path);
    let data: ConfigData = {};
    if (text !== undefined && text.trim() !== '') {
      try {
        data = JSON.parse(text) as ConfigData;
      } catch (e) {
        throw new BerthError('invalid_config', `loading config file: ${path}: ${(e as Error).message}`);
      }
    }
    return new ConfigFile(path, data, files);
  }

  /** Credentials for a registry host (`127.0.0.1:5000`, `docker.io`). */
  credentials(server: string): Promise<Credentials | undefined> {
    return loadCredentials(this.file, credentialsKey(server));
  }

  /** Every stored login, by its key in `auths` (X-Registry-Config: a build may pull from any of them). */
  logins(): Promise<Record<string, Credentials>> {
    return listCredentials(this.file);
  }

  storeCredentials(server: string, c: Credentials): Promise<void> {
    const extra = c.identitytoken ? { identitytoken: c.identitytoken } : {};
    return storeCredentials(this.file, credentialsKey(server), c.username ?? '', c.password ?? '', extra);
  }

  /** Returns false when there was nothing stored for the server. */
  removeCredentials(server: string): Promise<boolean> {
    return removeCredentials(this.file, credentialsKey(server));
  }
}

/** X-Registry-Auth: base64url of Docker's AuthConfig JSON (`e30=` for none). */
export function encodeRegistryAuth(c: Credentials | undefined, serverAddress?: string): string {
  if (!c) return encodeAuthHeader();
  return encodeAuthHeader({
    ...(c.username ? { username: c.username } : {}),
    ...(c.password ? { password: c.password } : {}),
    ...(serverAddress ? { serveraddress: serverAddress } : {}),
    ...(c.identitytoken ? { identitytoken: c.identitytoken } : {}),
    ...(c.registrytoken ? { registrytoken: c.registrytoken } : {}),
  });
}
