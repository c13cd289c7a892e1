// spawnWorker for Node: a worker_threads Worker on wasi-worker.ts (from the sources, under tsx) or
// dist/berth-wasi-worker.mjs (next to the bundled berthd).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SpawnWorker, WasiWorker, WorkerMessage } from '../../core/wasi/protocol.ts';

function workerScript(): string {
  for (const rel of ['./berth-wasi-worker.mjs', './wasi-worker.ts']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('neither berth-wasi-worker.mjs nor wasi-worker.ts is next to the daemon: run `npm run build`');
}

/**
 * From the sources the worker registers tsx itself: Node 20 runs a worker's `--import` hooks only
 * after it has tried to load the entry, so the .ts entry is imported once tsx is registered.
 */
function tsxBootstrap(script: string): string {
  const api = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(script).href)}); });`;
}

/** The engine's handle on a worker_threads Worker running `script`. */
export function nodeWasiWorker(script: string): WasiWorker {
  const w = script.endsWith('.ts') ? new Worker(tsxBootstrap(script), { eval: true }) : new Worker(script);
  // A worker must not keep the daemon (or a test) alive by itself.
  w.unref();
  let terminated = false;
  return {
    postMessage: (m) => w.postMessage(m),
    onMessage: (listener) => {
      const l = (m: WorkerMessage): void => listener(m);
      w.on('message', l);
      return () => { w.off('message', l); };
    },
    onError: (listener) => {
      // Ended by something other than terminate(): a crash the 'error' event did not report.
      const onExit = (code: number): void => { if (!terminated) listener(new Error(`the worker exited with code ${code}`)); };
      w.on('error', listener);
      w.on('exit', onExit);
      return () => { w.off('error', listener); w.off('exit', onExit); };
    },
    terminate: () => { terminated = true; return w.terminate(); },
  };
}

let script: string | undefined;
// The script is looked up on the first spawn (not at import, so a missing build fails the container, not the
// daemon's start) and kept: every wasm container that outruns the spare spawns a worker.
export const spawnNodeWasiWorker: SpawnWorker = () => nodeWasiWorker(script ??= workerScript());
