// The built playground (build/playground) as a web-standard handler: GET/HEAD of its files with
// the MIME types browsers insist on (application/wasm for streaming compilation), the precompressed
// .gz beside a file when the browser takes gzip, ETags for reloads, and cross-origin isolation.
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Every answer: the page is cross-origin isolated (SharedArrayBuffer for the VM) and never framed. */
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
};

function plain(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(`${text}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...ISOLATION, ...extra } });
}

async function fileAt(path: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s : undefined;
  } catch {
    return undefined;
  }
}

export function playgroundSite(root: string): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'method not allowed', { allow: 'GET, HEAD' });
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      return plain(400, 'bad path');
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || path.includes('\0')) return plain(404, `not found: ${path}`);
    let info = await fileAt(file);
    if (!info && (await fileAt(join(file, 'index.html')))) {
      return new Response(null, { status: 301, headers: { location: `${path}/`, ...ISOLATION } });
    }
    if (!info) return plain(404, `not found: ${path}`);
    const headers: Record<string, string> = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      // Revalidate every time: a rebuilt playground must not mix old and new bundles.
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
      ...ISOLATION,
    };
    let body = file;
    const gzipped = `${file}.gz`;
    const gz = /\bgzip\b/.test(req.headers.get('accept-encoding') ?? '') ? await fileAt(gzipped) : undefined;
    if (gz && gz.mtimeMs >= info.mtimeMs) {
      body = gzipped;
      info = gz;
      headers['content-encoding'] = 'gzip';
    }
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}${gz ? '-gz' : ''}"`;
    headers.etag = etag;
    if (req.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
    headers['content-length'] = String(info.size);
    if (req.method === 'HEAD') return new Response(null, { status: 200, headers });
    return new Response((await openAsBlob(body)).stream(), { status: 200, headers });
  };
}
