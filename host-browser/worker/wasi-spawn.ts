// spawnWorker for core's WASI runtime in a browser: a module Web Worker on wasi-worker.js (bundled
// next to the engine worker); workers may start workers of their own.
import type { SpawnWorker, WasiWorker, WorkerMessage } from '../../core/wasi/protocol.ts';

export function webWasiWorker(url: string | URL): WasiWorker {
  const w = new Worker(url, { type: 'module', name: 'berth-wasi' });
  return {
    postMessage: (m) => w.postMessage(m),
    onMessage: (listener) => {
      const l = (e: MessageEvent<WorkerMessage>): void => listener(e.data);
      w.addEventListener('message', l);
      return () => w.removeEventListener('message', l);
    },
    onError: (listener) => {
      const l = (e: ErrorEvent): void => listener(new Error(e.message || 'the wasm worker failed to load'));
      w.addEventListener('error', l);
      return () => w.removeEventListener('error', l);
    },
    terminate: () => w.terminate(),
  };
}

/** Workers on `wasi-worker.js` next to `base` (the engine worker's own URL). */
export function spawnWebWasiWorker(base: string): SpawnWorker {
  const url = new URL('./wasi-worker.js', base);
  return () => webWasiWorker(url);
}
