// Debian's chromium driven by playwright-core, and a static HTTP server on loopback for the pages it loads.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { removeDir, tempDir } from './tmp.ts';
import { serve } from '../../host-linux/http/serve.ts';
import { playgroundSite } from '../../host-linux/cli/playground-site.ts';

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

export interface StaticServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `root` over HTTP on 127.0.0.1 (a free port) as `berth playground` serves its site (MIME
 * types, cross-origin isolation). `mounts` maps URL prefixes (`/images/`) to other directories.
 */
export async function serveDirectory(root: string, mounts: Record<string, string> = {}): Promise<StaticServer> {
  const sites = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length)
    .map(([prefix, dir]) => [prefix, playgroundSite(resolve(dir))] as const);
  const rootSite = playgroundSite(resolve(root));
  const served = await serve(async (req) => {
    const url = new URL(req.url);
    const mount = sites.find(([prefix]) => url.pathname.startsWith(prefix));
    if (!mount) return rootSite(req);
    url.pathname = `/${url.pathname.slice(mount[0].length)}`;
    return mount[1](new Request(url, req));
  }, { address: '127.0.0.1:0' });
  return { url: served.url, port: Number(new URL(served.url).port), close: () => served.close() };
}
