// v86 state snapshots travel and rest gzip-compressed: a 128-256 MiB guest is mostly zero pages.
// Web-standard streams only, so the page, the worker and Node share it.

async function pipeThrough(bytes: Uint8Array, transform: GenericTransformStream): Promise<ArrayBuffer> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform as unknown as TransformStream<Uint8Array, Uint8Array>);
  return new Response(stream).arrayBuffer();
}

export function compressState(state: ArrayBuffer): Promise<ArrayBuffer> {
  return pipeThrough(new Uint8Array(state), new CompressionStream('gzip'));
}

/** Accepts a compressed or a plain state (gzip's magic decides). */
export function decompressState(state: ArrayBuffer | Uint8Array): Promise<ArrayBuffer> {
  const bytes = state instanceof Uint8Array ? state : new Uint8Array(state);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return Promise.resolve(bytes.slice().buffer);
  return pipeThrough(bytes, new DecompressionStream('gzip'));
}
