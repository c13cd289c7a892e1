// Where the guest runtime gets image layers from: the browser engine's layer store hands over
// each layer's tar (plain or gzip, e.g. the registry blob) by diffID.
import type { ContainerImage } from '../../core/engine/containers/runtime.ts';

export interface LayerSource {
  /** The layer with this diffID (of `image`, the container's) as a tar stream, gzip-compressed or not. */
  open(diffID: string, image: ContainerImage): Promise<ReadableStream<Uint8Array>>;
}
