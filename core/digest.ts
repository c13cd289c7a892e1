// Digests as the OCI image spec defines them: "algorithm:encoded".
import type { HashFactory, Hasher } from './host.ts';
import { BerthError } from './errors.ts';

export type Digest = string;

const DIGEST_RE = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const HEX_LEN: Record<string, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest { algorithm: 'sha256' | 'sha512'; hex: string }

export function parseDigest(digest: string): ParsedDigest {
  const m = DIGEST_RE.exec(digest);
  if (!m) throw new BerthError('invalid_digest', `invalid checksum digest format: ${JSON.stringify(digest)}`);
  const [, algorithm, hex] = m as unknown as [string, string, string];
  const len = HEX_LEN[algorithm];
  if (!len) throw new BerthError('invalid_digest', `unsupported digest algorithm: ${digest}`);
  if (hex.length !== len || !/^[a-f0-9]+$/.test(hex)) {
    throw new BerthError('invalid_digest', `invalid checksum digest length or characters: ${digest}`);
  }
  return { algorithm: algorithm as 'sha256' | 'sha512', hex };
}

export function isDigest(s: string): boolean {
  try { parseDigest(s); return true; } catch { return false; }
}

/** The 12-hex short form Docker prints for image and layer IDs. */
export function shortId(digest: string): string {
  const i = digest.indexOf(':');
  return (i >= 0 ? digest.slice(i + 1) : digest).slice(0, 12);
}

export function digestBytes(hash: HashFactory, data: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  const h = hash(algorithm);
  h.update(data);
  return `${algorithm}:${h.digest()}`;
}

/**
 * A pass-through stream that hashes and counts what flows through it; `result()` is valid once the
 * stream has ended. Used for diffIDs while unpacking and for verification while downloading.
 */
export function digestingStream(hash: HashFactory, algorithm: 'sha256' | 'sha512' = 'sha256') {
  const h: Hasher = hash(algorithm);
  let size = 0;
  let done = false;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) { h.update(chunk); size += chunk.byteLength; controller.enqueue(chunk); },
    flush() { done = true; },
  });
  let digest: string | undefined;
  return {
    stream,
    result(): { digest: Digest; size: number } {
      if (!done) throw new Error('digestingStream: result() before the stream ended');
      digest ??= `${algorithm}:${h.digest()}`;
      return { digest, size };
    },
  };
}

/**
 * A pass-through stream that errors at its end unless the bytes match `expected` (and `size` when
 * given), so nothing unverified is ever treated as complete.
 */
export function verifyingStream(hash: HashFactory, expected: Digest, size?: number): TransformStream<Uint8Array, Uint8Array> {
  const { algorithm } = parseDigest(expected);
  const h = hash(algorithm);
  let n = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      n += chunk.byteLength;
      if (size !== undefined && n > size) {
        controller.error(new BerthError('digest_mismatch', `content for ${expected} is longer than its declared size ${size}`));
        return;
      }
      h.update(chunk);
      controller.enqueue(chunk);
    },
    flush(controller) {
      if (size !== undefined && n !== size) {
        controller.error(new BerthError('digest_mismatch', `content for ${expected} is truncated: got ${n} of ${size} bytes`));
        return;
      }
      const actual = `${algorithm}:${h.digest()}`;
      if (actual !== expected) {
        controller.error(new BerthError('digest_mismatch', `digest mismatch: expected ${expected}, got ${actual}`));
      }
    },
  });
}
