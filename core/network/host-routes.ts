// The host's IPv4 routes as CIDRs, from the text of Linux's /proc/net/route, so a default subnet
// is never picked over a network the host already reaches (a LAN, a VPN). Pure text parsing: the
// host reads the file.
import { formatIpv4 } from './ipv4.ts';

/**
 * The destination of every route but the default one, e.g. `192.0.2.0/24`. The kernel prints
 * addresses as the hex of a 32-bit word in memory order, which on the little-endian machines berth
 * runs on is the address's bytes reversed.
 */
export function parseProcNetRoute(text: string): string[] {
  const routes: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const destination = littleEndianHex(fields[1]!);
    const mask = littleEndianHex(fields[7]!);
    if (destination === undefined || mask === undefined || mask === 0) continue;
    routes.push(`${formatIpv4(destination)}/${maskBits(mask)}`);
  }
  return [...new Set(routes)];
}

function littleEndianHex(text: string): number | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(text)) return undefined;
  const v = parseInt(text, 16);
  return (((v & 0xff) << 24) | ((v >>> 8 & 0xff) << 16) | ((v >>> 16 & 0xff) << 8) | (v >>> 24)) >>> 0;
}

function maskBits(mask: number): number {
  let bits = 0;
  while (bits < 32 && (mask & (0x80000000 >>> bits)) !== 0) bits++;
  return bits;
}
