// Where the guest runtime gets image layers from: the browser engine's layer store hands over
// each layer's tar (plain or gzip, e.g. the registry blob) by diffID.

export interface LayerSource {
  /** The layer with this diffID as a tar stream, gzip-compressed or not. */
  open(diffID: string): Promise<ReadableStream<Uint8Array>>;
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
