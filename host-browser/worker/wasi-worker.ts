// The entry of the Web Worker that runs one wasm module for the engine (core/wasi/worker.ts), bundled
// as wasi-worker.js next to engine-worker.js; the engine worker starts it (wasi-spawn.ts).
import { serveWasiWorker } from '../../core/wasi/worker.ts';
import type { RunMessage, WorkerMessage } from '../../core/wasi/protocol.ts';

const scope = globalThis as unknown as {
  postMessage(m: WorkerMessage): void;
  addEventListener(type: 'message', l: (e: MessageEvent<RunMessage>) => void): void;
};
serveWasiWorker({
  postMessage: (m) => scope.postMessage(m),
  onMessage: (listener) => scope.addEventListener('message', (e) => listener(e.data)),
});
