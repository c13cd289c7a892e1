// A registry that speaks the OCI distribution spec on web-standard Request/Response, over the same
// content store the engine uses (BlobStore) with repositories, tags and links in a MetadataStore.
// `berth registry serve` runs it on Node; the browser host can serve it from a worker.
import type { BlobStore } from '../content/blob-store.ts';
import type { MetadataStore } from '../metadata/kv.ts';
import type { HashFactory } from '../host.ts';
import { BerthError } from '../errors.ts';
import { isValidPath } from '../reference/reference.ts';
import type { UploadSpool } from './upload-spool.ts';
import { RepoStore } from './server/repo-store.ts';
import { type ServerContext, discardBody, keyedLock } from './server/context.ts';
import { SpecError, errorResponse, specErrors } from './server/spec-error.ts';
import { deleteManifest, getManifest, putManifest } from './server/manifests.ts';
import { deleteBlob, getBlob } from './server/blobs.ts';
import { cancelUpload, finishUpload, patchUpload, startUpload, uploadStatus } from './server/uploads.ts';
import { catalog, listTags, referrers } from './server/listings.ts';
import { Access, type Need, type RegistryAuthOptions } from './server/access.ts';
import { withCors } from './server/cors.ts';

export type { RegistryAuthOptions } from './server/access.ts';

export interface RegistryHandlerOptions {
  blobs: BlobStore;
  meta: MetadataStore;
  hash: HashFactory;
  uploads: UploadSpool;
  auth?: RegistryAuthOptions;
  /** Origins of web pages allowed to use the registry (CORS); `*` for any. None by default. */
  corsOrigins?: string[];
}

const API_VERSION = { 'Docker-Distribution-API-Version': 'registry/2.0' };

type Route =
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'referrers'; name: string; digest: string };

// Most specific first: a repository may itself be called `.../blobs/uploads`.
const ROUTES: [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: decodeURIComponent(m[2]!) })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, id: decodeURIComponent(m[2]!) })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: decodeURIComponent(m[2]!) })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: decodeURIComponent(m[2]!) })],
];

function match(pathname: string): Route | undefined {
  for (const [re, make] of ROUTES) {
    const m = re.exec(pathname);
    if (m) return make(m);
  }
  return undefined;
}

function withApiVersion(res: Response): Response {
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(API_VERSION)) headers.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

function notAllowed(method: string, path: string, allow: string): SpecError {
  return new SpecError(405, 'UNSUPPORTED', 'The operation is unsupported.', `${method} ${path}`, { Allow: allow });
}

export function registryHandler(opts: RegistryHandlerOptions): (req: Request) => Promise<Response> {
  const ctx: ServerContext = {
    blobs: opts.blobs, hash: opts.hash, uploads: opts.uploads, repos: new RepoStore(opts.meta), lock: keyedLock(),
  };
  const access = opts.auth ? new Access(opts.auth, opts.hash) : undefined;
  const check = async (req: Request, need: Need) => { if (access) await access.check(req, need); };

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const method = req.method.toUpperCase();
    const path = url.pathname;

    if (access && opts.auth?.scheme === 'bearer' && path === access.tokenPath) return access.token(req);
    if (path === '/v2/' || path === '/v2') {
      if (method !== 'GET' && method !== 'HEAD') throw notAllowed(method, path, 'GET, HEAD');
      await check(req, { type: 'base' });
      return new Response(method === 'HEAD' ? null : '{}', { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    }
    if (path === '/v2/_catalog') {
      if (method !== 'GET') throw notAllowed(method, path, 'GET');
      await check(req, { type: 'registry', name: 'catalog', actions: ['*'] });
      return catalog(ctx, url);
    }
    const r = match(path);
    if (!r) return new Response('404 page not found\n', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    if (!isValidPath(r.name)) throw specErrors.nameInvalid(r.name, 'repository names are lowercase path components of [a-z0-9] separated by ".", "_", "__" or "-"');
    const pull = { type: 'repository' as const, name: r.name, actions: ['pull'] };
    const push = { type: 'repository' as const, name: r.name, actions: ['pull', 'push'] };
    const del = { type: 'repository' as const, name: r.name, actions: ['delete'] };

    switch (r.kind) {
      case 'tags':
        if (method !== 'GET') throw notAllowed(method, path, 'GET');
        await check(req, pull);
        return listTags(ctx, r.name, url);
      case 'referrers':
        if (method !== 'GET') throw notAllowed(method, path, 'GET');
        await check(req, pull);
        return referrers(ctx, r.name, r.digest, url);
      case 'manifest':
        if (method === 'GET' || method === 'HEAD') { await check(req, pull); return getManifest(ctx, r.name, r.reference, method === 'HEAD'); }
        if (method === 'PUT') { await check(req, push); return putManifest(ctx, r.name, r.reference, req); }
        if (method === 'DELETE') { await check(req, del); return deleteManifest(ctx, r.name, r.reference); }
        throw notAllowed(method, path, 'GET, HEAD, PUT, DELETE');
      case 'blob':
        if (method === 'GET' || method === 'HEAD') { await check(req, pull); return getBlob(ctx, r.name, r.digest, req, method === 'HEAD'); }
        if (method === 'DELETE') { await check(req, del); return deleteBlob(ctx, r.name, r.digest); }
        throw notAllowed(method, path, 'GET, HEAD, DELETE');
      case 'uploads':
        if (method !== 'POST') throw notAllowed(method, path, 'POST');
        await check(req, push);
        {
          // A mount needs pull access on the source; without it the POST is an ordinary upload.
          const from = url.searchParams.get('from');
          const canMount = !access || (from !== null && await access.mayPull(req, from));
          return startUpload(ctx, r.name, req, url, canMount);
        }
      case 'upload':
        await check(req, push);
        if (method === 'PATCH') return patchUpload(ctx, r.name, r.id, req);
        if (method === 'PUT') return finishUpload(ctx, r.name, r.id, req, url);
        if (method === 'GET') return uploadStatus(ctx, r.name, r.id);
        if (method === 'DELETE') return cancelUpload(ctx, r.name, r.id);
        throw notAllowed(method, path, 'GET, PATCH, PUT, DELETE');
    }
  }

  const handle = async (req: Request): Promise<Response> => {
    try {
      return withApiVersion(await route(req));
    } catch (e) {
      await discardBody(req);
      if (e instanceof SpecError) return withApiVersion(errorResponse(e));
      if (e instanceof BerthError && e.code === 'not_found') {
        return withApiVersion(errorResponse(new SpecError(404, 'BLOB_UNKNOWN', 'blob unknown to registry', e.message)));
      }
      if (e instanceof BerthError && e.code === 'digest_mismatch') {
        return withApiVersion(errorResponse(specErrors.digestInvalid(e.message)));
      }
      const message = e instanceof Error ? e.message : String(e);
      return withApiVersion(new Response(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'unknown error', detail: message }] }) + '\n', {
        status: 500, headers: { 'Content-Type': 'application/json; charset=utf-8' },
      }));
    }
  };
  return opts.corsOrigins?.length ? withCors(handle, opts.corsOrigins) : handle;
}
