// Debian's chromium driven by playwright-core, and a static HTTP server on loopback for the pages it loads.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { removeDir, tempDir } from './tmp.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests cannot run here (pass it as `{ skip }`), or false. */
export function browserMissing(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`;
}

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  /** A persistent context over a fresh, empty user data dir: OPFS and IndexedDB survive reloads within it. */
  context: BrowserContext;
  /** The browser behind `context` (null for a persistent context, whose browser is the context itself). */
  browser: Browser | null;
  userDataDir: string;
  close(): Promise<void>;
}

/** Launches chromium headless with an empty user data dir (removed by `close`). */
export async function launchBrowser(opts: { args?: string[] } = {}): Promise<TestBrowser> {
  const userDataDir = await tempDir('berth-chromium-');
  // a persistent context, so storage behaves as in a user's profile (OPFS is per profile and origin)
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, ...(opts.args ?? [])],
  });
  return {
    context,
    browser: context.browser(),
    userDataDir,
    async close() {
      await context.close().catch(() => {});
      await removeDir(userDataDir);
    },
  };
}

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
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `root` over HTTP on 127.0.0.1 (a free port). `mounts` maps URL prefixes (`/images/`) to other
 * directories. Sends the cross-origin isolation headers so pages may use SharedArrayBuffer.
 */
export async function serveDirectory(root: string, mounts: Record<string, string> = {}): Promise<StaticServer> {
  const bases = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  const server = http.createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const [prefix, dir] = bases.find(([p]) => path.startsWith(p)) ?? ['/', root];
    const base = resolve(dir);
    let file = normalize(join(base, path.slice(prefix.length)));
    if (file !== base && !file.startsWith(base + sep)) { res.writeHead(403).end(); return; }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-store',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'cross-origin',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
