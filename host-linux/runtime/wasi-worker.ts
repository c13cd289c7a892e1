// The entry of the worker_threads Worker that runs one wasm module (core/wasi/worker.ts); bundled
// as dist/berth-wasi-worker.mjs.
import { parentPort } from 'node:worker_threads';
import { serveWasiWorker } from '../../core/wasi/worker.ts';
import type { RunMessage } from '../../core/wasi/protocol.ts';

if (!parentPort) throw new Error('wasi-worker.ts runs as a worker thread of berthd');
const port = parentPort;
serveWasiWorker({
  postMessage: (m) => port.postMessage(m),
  onMessage: (listener) => port.on('message', (m: RunMessage) => listener(m)),
});
