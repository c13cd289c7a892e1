// Bundles the browser host's engine worker (host-browser/worker/engine-worker.ts) into
// build/browser/engine-worker.js (and wasi-worker.js), with what it fetches from beside itself
// copied there: the built-in images (build/images, an OCI layout) as images/, the v86 guest as
// guest/ and v86.wasm. scripts/build-playground.mjs calls buildEngineWorker; tests bundle their
// pages with BROWSER_BUILD.
//   node scripts/build-browser.mjs [--out DIR]
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ENGINE_WORKER_ENTRY = join(ROOT, 'host-browser/worker/engine-worker.ts');
/** The worker the engine starts for each wasm module; it must sit next to the engine worker. */
export const WASI_WORKER_ENTRY = join(ROOT, 'host-browser/worker/wasi-worker.ts');

/** esbuild options shared by everything that runs in the browser (pages and workers). */
export const BROWSER_BUILD = Object.freeze({
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: 'linked',
  logLevel: 'warning',
  // libv86.mjs's Node-only branches (never taken in a browser)
  external: ['fs', 'node:fs/promises', 'perf_hooks', 'crypto', 'node:crypto'],
});

/** Bundles the engine worker to `outfile` (default build/browser/engine-worker.js) and wasi-worker.js beside it. */
export async function buildEngineWorker({ outfile = join(ROOT, 'build/browser/engine-worker.js'), minify = true } = {}) {
  const wasiWorker = join(dirname(outfile), 'wasi-worker.js');
  await Promise.all([
    build({ ...BROWSER_BUILD, entryPoints: [ENGINE_WORKER_ENTRY], outfile, minify }),
    build({ ...BROWSER_BUILD, entryPoints: [WASI_WORKER_ENTRY], outfile: wasiWorker, minify }),
  ]);
  return { outfile, wasiWorker };
}

/** What the worker fetches from beside itself, where the set-up builds it. */
export const WORKER_ASSETS = Object.freeze([
  [join(ROOT, 'build/images'), 'images'],
  [join(ROOT, 'build/guest'), 'guest'],
  [join(ROOT, 'node_modules/v86/build/v86.wasm'), 'v86.wasm'],
]);

/** The workers and, next to them, the built-in images, the v86 guest and v86.wasm when they are built. */
export async function buildBrowser({ outDir = join(ROOT, 'build/browser') } = {}) {
  await mkdir(outDir, { recursive: true });
  const { outfile } = await buildEngineWorker({ outfile: join(outDir, 'engine-worker.js') });
  const copied = [];
  for (const [from, to] of WORKER_ASSETS) {
    if (!existsSync(from)) continue;
    await rm(join(outDir, to), { recursive: true, force: true });
    await cp(from, join(outDir, to), { recursive: true });
    copied.push(to);
  }
  return { outDir, worker: outfile, copied };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--out');
  const r = await buildBrowser(i > 0 ? { outDir: resolve(process.argv[i + 1]) } : {});
  console.log(`browser: ${r.worker} with ${r.copied.join(', ') || 'nothing else (./scripts/setup.sh builds the images and the guest)'}`);
}
