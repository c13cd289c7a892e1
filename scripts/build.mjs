// Bundles each binary into one file so start-up reads and parses a single module.
import { build } from 'esbuild';
import { chmod } from 'node:fs/promises';

const banner = {
  // Bundled ESM still needs require() for the native addon and a few CJS dependencies.
  js: "#!/usr/bin/env node\nimport { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);",
};
const entries = {
  berth: 'host-linux/cli/main.ts',
  berthd: 'host-linux/daemon/main.ts',
  // The worker_threads entry that runs one wasm module (host-linux/runtime/wasi-spawn.ts finds it next to berthd).
  'berth-wasi-worker': 'host-linux/runtime/wasi-worker.ts',
};
await Promise.all(Object.entries(entries).map(async ([name, entry]) => {
  const outfile = `dist/${name}.mjs`;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner,
    sourcemap: 'linked',
    logLevel: 'warning',
    external: ['*.node'],
  });
  await chmod(outfile, 0o755);
}));
