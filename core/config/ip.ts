// IP addresses and CIDR blocks, enough to decide whether a registry host falls in an
// --insecure-registry range (Go's net.ParseIP / ParseCIDR / IPNet.Contains, without DNS).

/** 4 bytes for IPv4 (including IPv4-mapped IPv6, as Go treats them), 16 for IPv6. */
export type IP = Uint8Array;

export interface CIDR { ip: IP; bits: number; text: string }

function parseIPv4(s: string): IP | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Go refuses leading zeros (they would be octal elsewhere).
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | undefined {
  if (s.includes('%')) return undefined; // zones are not addresses
  let tail4: IP | undefined;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = parseIPv4(text.slice(lastColon + 1));
    if (!tail4) return undefined;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const words = [...head, ...new Array<string>(8 - total).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const w = words[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return undefined;
    const n = Number.parseInt(w, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

function isV4Mapped(b: Uint8Array): boolean {
  return b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

/** Parses a literal IPv4 or IPv6 address (no brackets, no port); undefined when it is not one. */
export function parseIP(s: string): IP | undefined {
  if (s.includes(':')) {
    const v6 = parseIPv6(s);
    if (!v6) return undefined;
    return isV4Mapped(v6) ? v6.slice(12) : v6;
  }
  return parseIPv4(s);
}

/** Parses `addr/bits`, masking the address to the network (as Go's ParseCIDR returns it). */
export function parseCIDR(s: string): CIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addrText = s.slice(0, slash);
  const bitsText = s.slice(slash + 1);
  if (!/^(?:0|[1-9][0-9]*)$/.test(bitsText)) return undefined;
  // A v4-mapped v6 CIDR keeps its 128-bit prefix length in Go; plain v6 parse keeps that shape.
  const ip = addrText.includes(':') ? parseIPv6(addrText) : parseIPv4(addrText);
  if (!ip) return undefined;
  const bits = Number(bitsText);
  if (bits > ip.length * 8) return undefined;
  const masked = ip.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return keep === 0 ? 0 : byte & (0xff << (8 - keep)) & 0xff;
  });
  return { ip: masked, bits, text: `${formatIP(masked)}/${bits}` };
}

export function cidrContains(net: CIDR, ip: IP): boolean {
  let addr = ip;
  let prefix = net.ip;
  let bits = net.bits;
  if (prefix.length === 16 && isV4Mapped(prefix) && bits >= 96) {
    prefix = prefix.slice(12);
    bits -= 96;
  }
  if (addr.length !== prefix.length) return false;
  for (let i = 0; i < addr.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr[i]! & mask) !== (prefix[i]! & mask)) return false;
  }
  return true;
}

export function formatIP(ip: IP): string {
  if (ip.length === 4) return Array.from(ip).join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((ip[i]! << 8) | ip[i + 1]!);
  // Compress the longest run of two or more zero words, as RFC 5952 asks.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * Splits `host[:port]` or `[v6]:port` the way Go's net.SplitHostPort does, falling back to the
 * whole string as the host when there is no port.
 */
export function splitHostPort(hostPort: string): { host: string; port?: string } {
  const m = /^\[([^\]]*)\](?::([^:]*))?$/.exec(hostPort);
  if (m) return m[2] !== undefined ? { host: m[1]!, port: m[2] } : { host: m[1]! };
  const i = hostPort.lastIndexOf(':');
  if (i >= 0 && hostPort.indexOf(':') === i) return { host: hostPort.slice(0, i), port: hostPort.slice(i + 1) };
  return { host: hostPort };
}
