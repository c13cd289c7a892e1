// `berth registry serve`: the distribution-spec registry of core/registry/server.ts on a TCP
// address, with its content store, metadata and uploads under one directory.
import { readFile } from 'node:fs/promises';
import { ensureDirectory } from './ensure-directory.ts';
import { join, resolve } from 'node:path';
import { serve, type Served } from '../http/serve.ts';
import { FsBlobStore } from '../content/fs-blob-store.ts';
import { FsMetadataStore } from '../metadata/fs-kv.ts';
import { nodeHash } from '../services.ts';
import { registryHandler, type RegistryAuthOptions } from '../../core/registry/server.ts';
import { FsUploadSpool } from './fs-upload-spool.ts';
import { RepoStore } from '../../core/registry/server/repo-store.ts';

export interface ServeRegistryOptions {
  /** `127.0.0.1:5000`; port 0 picks a free one (see `url` of the result). */
  addr: string;
  /** Directory holding `blobs/`, `meta/` and `uploads/`; created when missing. */
  root: string;
  /** Users and scheme; `htpasswdFile` is read when `htpasswd` is not given. */
  auth?: Omit<RegistryAuthOptions, 'htpasswd'> & { htpasswd?: string; htpasswdFile?: string };
  /** Web page origins allowed to use the registry (CORS), `*` for any; none by default. */
  corsOrigins?: string[];
}

export type { Served } from '../http/serve.ts';

/** Uploads untouched for this long are abandoned (distribution purges after a week; a day is plenty here). */
const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

export async function serveRegistry(opts: ServeRegistryOptions): Promise<Served> {
  const root = resolve(opts.root);
  await ensureDirectory(root);
  const blobs = await FsBlobStore.open(join(root, 'blobs'), nodeHash);
  const meta = await FsMetadataStore.open(join(root, 'meta'));
  const uploads = new FsUploadSpool(join(root, 'uploads'));
  await purgeStaleUploads(meta, uploads);
  let auth: RegistryAuthOptions | undefined;
  if (opts.auth) {
    const { htpasswdFile, htpasswd, ...rest } = opts.auth;
    const text = htpasswd ?? (htpasswdFile ? await readFile(htpasswdFile, 'utf8') : undefined);
    if (text === undefined) throw new Error('registry auth needs htpasswd content or an htpasswd file');
    auth = { ...rest, htpasswd: text };
  }
  const handler = registryHandler({ blobs, meta, hash: nodeHash, uploads, ...(auth ? { auth } : {}), ...(opts.corsOrigins ? { corsOrigins: opts.corsOrigins } : {}) });
  return serve(handler, { address: opts.addr });
}

async function purgeStaleUploads(meta: FsMetadataStore, uploads: FsUploadSpool): Promise<void> {
  const repos = new RepoStore(meta);
  const now = Date.now();
  for (const { id, state } of await repos.uploads()) {
    if (now - Date.parse(state.startedAt) > STALE_UPLOAD_MS) {
      await uploads.delete(id);
      await repos.deleteUpload(id);
    }
  }
}
