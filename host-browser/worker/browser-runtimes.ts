// The container runtimes the engine worker starts with: Linux images (linux/386) in the v86 guest
// (host-browser/runtime/guest-runtime.ts), booted on the first Linux container; WebAssembly images
// in core's WASI runtime, each module in a worker of its own. A runtime left out (no guest built,
// no worker for wasm) makes such a container fail with runtimes.ts's clear error.
import type { ImageService } from '../../core/engine/image-service.ts';
import type { SpawnWorker } from '../../core/wasi/protocol.ts';
import { WasiRuntime } from '../../core/wasi/runtime.ts';
import { imageLayerTars } from '../../core/wasi/image-layers.ts';
import { MemoryLogs } from '../../core/wasi/logs.ts';
import { GuestRuntime } from '../runtime/guest-runtime.ts';
import type { GuestKeeper } from './guest-boot.ts';
import { imageLayerSource } from './image-layer-source.ts';
import type { BrowserRuntimes } from './runtimes.ts';

/** What the runtimes are made from: the engine's images (layers come from its content store). */
export interface RuntimeContext {
  images: ImageService;
}

export interface RuntimeChoices {
  /** The v86 guest, booted (or restored) on the first Linux container. */
  guest?: GuestKeeper;
  /** Starts a worker for one wasm module; none: no WebAssembly containers. */
  spawnWasiWorker?: SpawnWorker;
}

export function browserRuntimes(choices: RuntimeChoices): (ctx: RuntimeContext) => BrowserRuntimes {
  return ({ images }) => ({
    ...(choices.guest ? { linux: choices.guest.track(new GuestRuntime({ vm: choices.guest.vm, layers: choices.guest.watch(imageLayerSource(images)) })) } : {}),
    // Logs live as long as the worker: a reload forgets them, as it forgets the containers' processes.
    ...(choices.spawnWasiWorker ? { wasi: new WasiRuntime({ spawnWorker: choices.spawnWasiWorker, layers: imageLayerTars(images), logs: new MemoryLogs() }) } : {}),
  });
}
