// The agent protocol's framing (host-browser/guest/PROTOCOL.md): [u32 length][u8 type][u32 id][payload],
// little-endian, length counting type + id + payload. Isomorphic: the worker and Node both use it.

export const FrameType = {
  hello: 1,
  request: 2,
  response: 3,
  stdin: 4,
  stdout: 5,
  stderr: 6,
  exit: 7,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame { type: number; id: number; payload: Uint8Array }

/** The agent's cap on one frame; bigger payloads are split (stdin) or go through 9p (layers). */
export const MAX_FRAME_PAYLOAD = (1 << 20) - 5;

export function encodeFrame(type: FrameType, id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (payload.byteLength > MAX_FRAME_PAYLOAD) throw new RangeError(`a frame payload of ${payload.byteLength} bytes is over the agent's ${MAX_FRAME_PAYLOAD}`);
  const out = new Uint8Array(9 + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.byteLength + 5, true);
  view.setUint8(4, type);
  view.setUint32(5, id >>> 0, true);
  out.set(payload, 9);
  return out;
}

/** Reassembles frames from serial bytes, which arrive one at a time or in arbitrary chunks. */
export class FrameDecoder {
  private buf = new Uint8Array(4096);
  private len = 0;

  push(bytes: Uint8Array | number): Frame[] {
    const add = typeof bytes === 'number' ? 1 : bytes.byteLength;
    if (this.len + add > this.buf.byteLength) {
      const grown = new Uint8Array(Math.max(this.buf.byteLength * 2, this.len + add));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    if (typeof bytes === 'number') this.buf[this.len] = bytes;
    else this.buf.set(bytes, this.len);
    this.len += add;
    if (this.len < 9) return [];
    const frames: Frame[] = [];
    const view = new DataView(this.buf.buffer, this.buf.byteOffset);
    let off = 0;
    while (this.len - off >= 9) {
      const flen = view.getUint32(off, true);
      if (flen < 5 || flen > MAX_FRAME_PAYLOAD + 5) throw new Error(`the guest agent sent a malformed frame (length ${flen})`);
      if (this.len - off < 4 + flen) break;
      frames.push({ type: view.getUint8(off + 4), id: view.getUint32(off + 5, true), payload: this.buf.slice(off + 9, off + 4 + flen) });
      off += 4 + flen;
    }
    if (off) {
      this.buf.copyWithin(0, off, this.len);
      this.len -= off;
    }
    return frames;
  }
}
