// Bundles the browser host's engine worker (host-browser/worker/engine-worker.ts) into
// build/browser/engine-worker.js, with the built-in images (build/images, an OCI layout) copied to
// build/browser/images/ where the worker looks for them by default. Others build on it:
// scripts/build-playground.mjs calls buildEngineWorker, tests bundle their pages with BROWSER_BUILD.
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

/** The worker and, next to it, the built-in images when the set-up built them. */
export async function buildBrowser({ outDir = join(ROOT, 'build/browser') } = {}) {
  await mkdir(outDir, { recursive: true });
  const { outfile } = await buildEngineWorker({ outfile: join(outDir, 'engine-worker.js') });
  const images = join(ROOT, 'build/images');
  let imagesDir;
  if (existsSync(join(images, 'index.json'))) {
    imagesDir = join(outDir, 'images');
    await rm(imagesDir, { recursive: true, force: true });
    await cp(images, imagesDir, { recursive: true });
  }
  return { outDir, worker: outfile, images: imagesDir };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--out');
  const r = await buildBrowser(i > 0 ? { outDir: resolve(process.argv[i + 1]) } : {});
  console.log(`browser: ${r.worker}${r.images ? ` and the built-in images in ${r.images}` : ' (no built-in images: run ./scripts/setup.sh)'}`);
}
