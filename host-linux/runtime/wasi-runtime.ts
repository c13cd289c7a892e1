// core's WasiRuntime with Node's services: worker_threads workers, layers from the content
// store, the json-file log.
import type { ImageService } from '../../core/engine/image-service.ts';
import type { ContainerRecord } from '../../core/engine/containers/types.ts';
import { imageLayerTars } from '../../core/wasi/image-layers.ts';
import { WasiRuntime } from '../../core/wasi/runtime.ts';
import { jsonFileLogs } from './wasi-logs.ts';
import { spawnNodeWasiWorker } from './wasi-spawn.ts';

export function wasiRuntime(images: ImageService, logPath: (rec: ContainerRecord) => string, spareEnded?: () => void): WasiRuntime {
  return new WasiRuntime({ spawnWorker: spawnNodeWasiWorker, layers: imageLayerTars(images), logs: jsonFileLogs(logPath), spareEnded });
}
