// Docker's multiplexed stdio framing (pkg/stdcopy): an 8-byte header [stream,0,0,0,size BE] per frame.

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;

export function frame(stream: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, data.length);
  out.set(data, 8);
  return out;
}

/**
 * Splits a multiplexed byte stream back into frames; `keep` decides which streams pass. Frames may
 * arrive cut at any byte, so a partial header or payload waits for the next chunk.
 */
export function demuxFilter(keep: (stream: number) => boolean): TransformStream<Uint8Array, Uint8Array> {
  let buf: Uint8Array = new Uint8Array(0);
  return new TransformStream({
    transform(chunk, controller) {
      if (buf.length) { const b = new Uint8Array(buf.length + chunk.length); b.set(buf); b.set(chunk, buf.length); buf = b; } else buf = chunk;
      let off = 0;
      while (buf.length - off >= 8) {
        const size = new DataView(buf.buffer, buf.byteOffset + off + 4, 4).getUint32(0);
        if (buf.length - off < 8 + size) break;
        if (keep(buf[off]!)) controller.enqueue(buf.slice(off, off + 8 + size));
        off += 8 + size;
      }
      buf = buf.slice(off);
    },
  });
}
