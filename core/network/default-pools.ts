// dockerd's default address pools (libnetwork/ipamutils): the default bridge takes 172.17.0.0/16,
// user networks then get the first /16 of 172.17-31 that is free, then /20s of 192.168.0.0/16.
import { type Ipv4Prefix, formatPrefix, parseIpv4Prefix, prefixesOverlap } from './ipv4.ts';
import { BerthError } from '../errors.ts';

export interface AddressPool {
  /** The block the pool carves networks from, e.g. `172.17.0.0/12`. */
  base: string;
  /** The prefix length of each network carved from it. */
  size: number;
}

export const DEFAULT_ADDRESS_POOLS: readonly AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 }, { base: '172.18.0.0/16', size: 16 }, { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 }, { base: '172.24.0.0/14', size: 16 }, { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

export const DEFAULT_BRIDGE_SUBNET = '172.17.0.0/16';

// dockerd 25+ wording (older daemons said "could not find an available, non-overlapping IPv4 address pool ...").
export const NO_AVAILABLE_POOL = 'all predefined address pools have been fully subnetted';

/** Every candidate subnet of the pools, in the order dockerd tries them. */
export function* candidateSubnets(pools: readonly AddressPool[]): Generator<Ipv4Prefix> {
  for (const pool of pools) {
    const base = parseIpv4Prefix(pool.base);
    if (!base || pool.size < base.bits || pool.size > 32) {
      throw new BerthError('invalid_argument', `invalid address pool ${pool.base} with size ${pool.size}`);
    }
    const step = 2 ** (32 - pool.size);
    const count = 2 ** (pool.size - base.bits);
    for (let i = 0; i < count; i++) yield { address: (base.address + i * step) >>> 0, bits: pool.size };
  }
}

/**
 * The first default subnet that overlaps neither an existing network's subnet nor one of the
 * host's routes (both lists of CIDRs), so a new bridge never shadows a route the host relies on.
 */
export function pickSubnet(inUse: readonly string[], pools: readonly AddressPool[] = DEFAULT_ADDRESS_POOLS): string {
  // A default route (/0) overlaps everything and says nothing about which subnets are in use.
  const taken = inUse.map((c) => parseIpv4Prefix(c)).filter((p): p is Ipv4Prefix => p !== undefined && p.bits > 0);
  for (const candidate of candidateSubnets(pools)) {
    if (!taken.some((t) => prefixesOverlap(t, candidate))) return formatPrefix(candidate);
  }
  throw new BerthError('unavailable', NO_AVAILABLE_POOL, { status: 500 });
}
