// IPv4 addresses and CIDR blocks as plain numbers, so the IPAM arithmetic (containment, overlap,
// the next free address) is integer maths and the state serializes as the dotted strings users see.
import { parseIP } from '../config/ip.ts';

export interface Ipv4Prefix {
  /** The address as written (host bits may be set: `10.1.2.3/8`). */
  address: number;
  bits: number;
}

/** `a.b.c.d` as an unsigned 32-bit number, or undefined when it is not one (Go's netip.ParseAddr rules: no leading zeros). */
export function parseIpv4(text: string): number | undefined {
  // parseIP also takes IPv6 text (and unmaps ::ffff:a.b.c.d), which is no IPv4 address here.
  const ip = text.includes(':') ? undefined : parseIP(text);
  return ip ? ((ip[0]! << 24) | (ip[1]! << 16) | (ip[2]! << 8) | ip[3]!) >>> 0 : undefined;
}

export function formatIpv4(address: number): string {
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

/** `a.b.c.d/n`, or undefined when it is not CIDR notation. */
export function parseIpv4Prefix(text: string): Ipv4Prefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpv4(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9]\d?)$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  return bits > 32 ? undefined : { address, bits };
}

export function prefixMask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** The block with its host bits cleared (`10.1.2.3/8` -> `10.0.0.0/8`). */
export function masked(prefix: Ipv4Prefix): Ipv4Prefix {
  return { address: (prefix.address & prefixMask(prefix.bits)) >>> 0, bits: prefix.bits };
}

export function formatPrefix(prefix: Ipv4Prefix): string {
  return `${formatIpv4(prefix.address)}/${prefix.bits}`;
}

export function firstAddress(prefix: Ipv4Prefix): number {
  return masked(prefix).address;
}

export function lastAddress(prefix: Ipv4Prefix): number {
  return (firstAddress(prefix) + 2 ** (32 - prefix.bits) - 1) >>> 0;
}

export function prefixContains(prefix: Ipv4Prefix, address: number): boolean {
  return address >= firstAddress(prefix) && address <= lastAddress(prefix);
}

export function prefixesOverlap(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  return firstAddress(a) <= lastAddress(b) && firstAddress(b) <= lastAddress(a);
}
