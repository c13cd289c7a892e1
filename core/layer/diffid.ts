// A layer's diffID is the sha256 of its uncompressed tar, every byte of it (end-of-archive padding
// included): the identity rootfs.diff_ids lists and snapshots are keyed by.
import type { HashFactory } from '../host.ts';
import { digestingStream, type Digest } from '../digest.ts';

/** A pass-through for the uncompressed tar; `diffID()` is valid once the stream has ended. */
export function diffIDStream(hash: HashFactory): { stream: TransformStream<Uint8Array, Uint8Array>; diffID(): Digest; size(): number } {
  const d = digestingStream(hash, 'sha256');
  return { stream: d.stream, diffID: () => d.result().digest, size: () => d.result().size };
}

/** Reads an uncompressed tar to its end and returns its diffID and size. */
export async function computeDiffID(tar: ReadableStream<Uint8Array>, hash: HashFactory): Promise<{ diffID: Digest; size: number }> {
  const d = diffIDStream(hash);
  await tar.pipeThrough(d.stream).pipeTo(new WritableStream());
  return { diffID: d.diffID(), size: d.size() };
}
