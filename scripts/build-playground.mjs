// Bundles the playground into build/playground/: index.html, the page (lit + xterm, CSS inlined),
// the engine worker, the built-in images (OCI layout, so the page works offline), the v86 guest
// (build/guest/) and v86's wasm when present, and a .gz beside each big asset for `berth playground`.
//   node scripts/build-playground.mjs [--out DIR]
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { BROWSER_BUILD, ROOT, WORKER_ASSETS, buildEngineWorker } from './build-browser.mjs';

const gz = promisify(gzip);
const gunzipped = promisify(gunzip);

function commit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Precompressed copies of what is big and compressible (gzip layers and wasm already compressed stay as they are). */
async function precompress(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.endsWith('.gz') || entry.name.endsWith('.map')) continue;
    const file = join(entry.parentPath ?? entry.path, entry.name);
    if (existsSync(`${file}.gz`)) continue;
    if ((await stat(file)).size < 16 * 1024) continue;
    const data = await readFile(file);
    const packed = await gz(data, { level: 9 });
    if (packed.length < data.length * 0.9) await writeFile(`${file}.gz`, packed);
  }
}

export async function buildPlayground({ outDir = join(ROOT, 'build/playground') } = {}) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'playground/src/main.ts')],
    outfile: join(outDir, 'playground.js'),
    ...BROWSER_BUILD,
    minify: true,
    loader: { '.css': 'text' },
    define: { __BERTH_COMMIT__: JSON.stringify(commit()), __BERTH_BUILT__: JSON.stringify(new Date().toUTCString()) },
  });
  await buildEngineWorker({ outfile: join(outDir, 'engine-worker.js') });
  await cp(join(ROOT, 'playground/index.html'), join(outDir, 'index.html'));
  const copied = ['index.html', 'playground.js', 'engine-worker.js', 'wasi-worker.js'];
  const missing = [];
  for (const [from, to] of WORKER_ASSETS) {
    if (!existsSync(from)) { missing.push(to); continue; }
    await cp(from, join(outDir, to), { recursive: true });
    copied.push(to);
  }
  // The guest's saved state inflated beside its gzip: `berth playground` sends the .gz with Content-Encoding, so
  // the browser's network stack inflates it as it downloads, not the engine worker's thread (0.2-0.5 s there).
  const state = join(outDir, 'guest/state.bin.gz');
  if (existsSync(state)) {
    await writeFile(join(outDir, 'guest/state.bin'), await gunzipped(await readFile(state)));
    const now = new Date();
    await utimes(state, now, now);
  }
  await precompress(outDir);
  return { outDir, copied, missing };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--out');
  const { outDir, copied, missing } = await buildPlayground(i > 0 ? { outDir: resolve(process.argv[i + 1]) } : {});
  console.log(`playground: ${outDir} (${copied.join(', ')})`);
  if (missing.length) console.log(`playground: not included yet: ${missing.join(', ')} (built by ./scripts/setup.sh)`);
}
