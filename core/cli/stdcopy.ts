// docker's stdcopy.StdCopy: the multiplexed stdio stream (8-byte frame headers
// `[stream,0,0,0,size u32 BE]`) split back into stdout and stderr.

export type Sink = (data: Uint8Array) => Promise<void>;

/** Stream 3 carries an error from the daemon in the middle of a stream. */
export class StreamSystemError extends Error {
  constructor(message: string) {
    super(`error from daemon in stream: ${message}`);
    this.name = 'StreamSystemError';
  }
}

/** Copies frames until the stream ends; stdin echo (stream 0) goes to stdout as in docker. */
export async function demultiplex(stream: ReadableStream<Uint8Array>, stdout: Sink, stderr: Sink): Promise<void> {
  const reader = stream.getReader();
  let buf: Uint8Array = new Uint8Array(0);
  const append = (chunk: Uint8Array) => {
    if (buf.length === 0) { buf = chunk; return; }
    const b = new Uint8Array(buf.length + chunk.length);
    b.set(buf);
    b.set(chunk, buf.length);
    buf = b;
  };
  try {
    for (;;) {
      while (buf.length >= 8) {
        const size = ((buf[4]! << 24) >>> 0) + (buf[5]! << 16) + (buf[6]! << 8) + buf[7]!;
        if (buf.length < 8 + size) break;
        const kind = buf[0]!;
        const payload = buf.subarray(8, 8 + size);
        buf = buf.subarray(8 + size);
        if (kind === 0 || kind === 1) await stdout(payload);
        else if (kind === 2) await stderr(payload);
        else if (kind === 3) throw new StreamSystemError(new TextDecoder().decode(payload));
        else throw new Error(`Unrecognized input header: ${kind}`);
      }
      const { done, value } = await reader.read();
      if (done) return;
      append(value);
    }
  } finally {
    reader.releaseLock();
  }
}
