// Base64 over web-standard btoa/atob, for UTF-8 text and bytes. Decoding accepts both the standard
// and the URL-safe alphabet, with or without padding, because Docker's clients send either.

export function encodeBase64(data: string | Uint8Array, urlSafe = false): string {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const s = btoa(bin);
  return urlSafe ? s.replace(/\+/g, '-').replace(/\//g, '_') : s;
}

/** Throws a plain Error on malformed input; callers add what was being decoded. */
export function decodeBase64(s: string): Uint8Array {
  let t = s.trim().replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(t) || t.length % 4 === 1) throw new Error('illegal base64 data');
  t += '='.repeat((4 - (t.length % 4)) % 4);
  const bin = atob(t);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function decodeBase64Text(s: string): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(decodeBase64(s));
}
