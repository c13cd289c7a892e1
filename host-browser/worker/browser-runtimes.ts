// The container runtimes the engine worker starts with. WebAssembly images run in core's WASI
// runtime, each module in a worker of its own; Linux images are for the v86 guest
// (host-browser/runtime/guest-runtime.ts), which plugs in here as `linux` once the page can boot it;
// until then such a container gets runtimes.ts's clear error.
import type { ImageService } from '../../core/engine/image-service.ts';
import type { SpawnWorker } from '../../core/wasi/protocol.ts';
import { WasiRuntime } from '../../core/wasi/runtime.ts';
import { imageLayerTars } from '../../core/wasi/image-layers.ts';
import { MemoryLogs } from '../../core/wasi/logs.ts';
import type { BrowserRuntimes } from './runtimes.ts';

/** What the runtimes are made from: the engine's images (layers come from its content store). */
export interface RuntimeContext {
  images: ImageService;
}

export interface RuntimeChoices {
  /** Starts a worker for one wasm module; none: no WebAssembly containers. */
  spawnWasiWorker?: SpawnWorker;
}

export function browserRuntimes(choices: RuntimeChoices): (ctx: RuntimeContext) => BrowserRuntimes {
  return ({ images }) => ({
    // Logs live as long as the worker: a reload forgets them, as it forgets the containers' processes.
    ...(choices.spawnWasiWorker ? { wasi: new WasiRuntime({ spawnWorker: choices.spawnWasiWorker, layers: imageLayerTars(images), logs: new MemoryLogs() }) } : {}),
  });
}
