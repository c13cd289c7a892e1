// What crosses between the page and the engine worker for one Engine API request: the request and
// answer as structured-clonable records whose bodies are transferred streams (so pull progress,
// `logs -f` and events arrive as they happen), and for a hijacked answer (attach, exec start) the
// two directions of the connection as a pair of transferred streams.

export interface WireRequest {
  url: string;
  method: string;
  headers: [string, string][];
  /** Small bodies as bytes; streamed bodies (`load`, `build` contexts) as a transferred stream. */
  body: Uint8Array | ReadableStream<Uint8Array> | null;
}

export interface WireConnection {
  /** daemon -> client; it ends when the daemon closes the connection. */
  output: ReadableStream<Uint8Array>;
  /** client -> daemon; closing it is the half-close (stdin EOF). */
  input: WritableStream<Uint8Array>;
}

export interface WireResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: ReadableStream<Uint8Array> | null;
  /** Present when the daemon took the connection over. */
  connection?: WireConnection;
}

/** The one function the worker exposes. */
export interface EngineEndpoint {
  request(req: WireRequest): Promise<WireResponse>;
}
