// One network's IPv4 address space: which addresses its endpoints hold. Dynamic addresses come
// from the ip-range (the whole subnet without one) in serial order, as dockerd's default IPAM
// hands them out, so an address released by a removed container is not reused at once.
import { BerthError } from '../errors.ts';
import { pickSubnet, type AddressPool, DEFAULT_ADDRESS_POOLS } from './default-pools.ts';
import { type IpamConfig, checkSubnetFree, validateIpamConfig } from './ipam-config.ts';
import {
  type Ipv4Prefix, firstAddress, formatIpv4, formatPrefix, lastAddress, parseIpv4, parseIpv4Prefix, prefixContains,
} from './ipv4.ts';

/** What persists of a network's IPAM (plain JSON). */
export interface IpamState {
  subnet: string;
  /** The subnet came from `--subnet`, not a default pool: only then may endpoints ask for an address. */
  configured?: boolean;
  ipRange?: string;
  gateway: string;
  /** Addresses held by endpoints (the gateway is not among them). */
  allocated: string[];
  /** Where the serial search for the next dynamic address starts. */
  next: string;
}

/** The network an allocator belongs to, named in dockerd's "no available addresses" text. */
export interface NetworkLabel {
  name: string;
  id: string;
}

export const ADDRESS_IN_USE = 'Address already in use';
export const STATIC_IP_NEEDS_SUBNET =
  'user specified IP address is supported only when connecting to networks with user configured subnets';

export class NetworkIpam {
  readonly subnet: Ipv4Prefix;
  readonly ipRange: Ipv4Prefix;
  readonly gateway: number;
  readonly configured: boolean;
  readonly #network: NetworkLabel;
  readonly #allocated = new Set<number>();
  #next: number;

  private constructor(state: IpamState, network: NetworkLabel) {
    this.subnet = mustParsePrefix(state.subnet);
    this.ipRange = state.ipRange ? mustParsePrefix(state.ipRange) : this.subnet;
    this.gateway = mustParseAddress(state.gateway);
    this.configured = state.configured === true;
    this.#network = network;
    for (const a of state.allocated) this.#allocated.add(mustParseAddress(a));
    this.#next = mustParseAddress(state.next);
  }

  /**
   * A new network's IPAM from its `IPAM.Config` (at most one IPv4 entry for now). Without a subnet
   * it takes the first default pool subnet that overlaps neither `inUse` (other networks' subnets
   * and the host's routes); a given subnet must not overlap another network's (`networkSubnets`).
   */
  static create(options: {
    network: NetworkLabel;
    config?: IpamConfig;
    networkSubnets: readonly string[];
    hostRoutes?: readonly string[];
    pools?: readonly AddressPool[];
  }): NetworkIpam {
    const config = options.config ?? {};
    if (config.Subnet) validateIpamConfig([config]);
    else if (config.IPRange || config.Gateway) {
      throw new BerthError('invalid_argument', 'every ip-range or gateway must have a corresponding subnet');
    }
    let subnet = config.Subnet;
    if (subnet) checkSubnetFree(subnet, options.networkSubnets);
    else subnet = pickSubnet([...options.networkSubnets, ...(options.hostRoutes ?? [])], options.pools ?? DEFAULT_ADDRESS_POOLS);
    const prefix = mustParsePrefix(subnet);
    const range = config.IPRange ? mustParsePrefix(config.IPRange) : prefix;
    // Without --gateway dockerd takes the first address its allocator hands out: the range's first usable one.
    const gateway = config.Gateway ? mustParseAddress(config.Gateway) : firstUsable(range, prefix);
    if (gateway === undefined) {
      throw new BerthError('unavailable', noAvailableText(options.network), { status: 500 });
    }
    // dockerd's allocator holds the network and broadcast addresses from the start: no gateway there.
    if (prefix.bits < 31 && (gateway === firstAddress(prefix) || gateway === lastAddress(prefix))) {
      throw new BerthError('internal', `failed to allocate gateway (${config.Gateway}): ${ADDRESS_IN_USE}`);
    }
    const start = firstUsable(range, prefix) ?? firstAddress(range);
    return new NetworkIpam({
      subnet, ...(config.Subnet ? { configured: true } : {}), ...(config.IPRange ? { ipRange: config.IPRange } : {}), gateway: formatIpv4(gateway), allocated: [],
      next: formatIpv4(start),
    }, options.network);
  }

  static restore(state: IpamState, network: NetworkLabel): NetworkIpam {
    return new NetworkIpam(state, network);
  }

  state(): IpamState {
    return {
      subnet: formatPrefix(this.subnet),
      ...(this.configured ? { configured: true } : {}),
      ...(this.ipRange !== this.subnet ? { ipRange: formatPrefix(this.ipRange) } : {}),
      gateway: formatIpv4(this.gateway),
      allocated: [...this.#allocated].sort((a, b) => a - b).map(formatIpv4),
      next: formatIpv4(this.#next),
    };
  }

  /** The subnet's prefix length (an endpoint's `IPPrefixLen`). */
  get prefixLength(): number {
    return this.subnet.bits;
  }

  isAllocated(address: string): boolean {
    const a = parseIpv4(address);
    return a !== undefined && this.#allocated.has(a);
  }

  /**
   * An address for an endpoint: `requested` (`--ip`) when given, which must lie in the subnet (it
   * may lie outside the ip-range, as with dockerd) and be free, on a network whose subnet the user
   * configured; else the next free one of the range.
   */
  allocate(requested?: string): string {
    if (requested !== undefined && requested !== '') return this.#allocateRequested(requested);
    const first = firstAddress(this.ipRange);
    const last = lastAddress(this.ipRange);
    const size = last - first + 1;
    let candidate = this.#next < first || this.#next > last ? first : this.#next;
    for (let i = 0; i < size; i++) {
      if (this.#isFree(candidate)) {
        this.#allocated.add(candidate);
        this.#next = candidate === last ? first : candidate + 1;
        return formatIpv4(candidate);
      }
      candidate = candidate === last ? first : candidate + 1;
    }
    throw new BerthError('unavailable', noAvailableText(this.#network), { status: 500 });
  }

  /** Gives an endpoint's address back; releasing an address not held is a no-op (a retried cleanup). */
  release(address: string): void {
    const a = parseIpv4(address);
    if (a !== undefined) this.#allocated.delete(a);
  }

  #allocateRequested(requested: string): string {
    const a = parseIpv4(requested);
    if (a === undefined) {
      throw new BerthError('invalid_argument', `invalid IPv4 address: ${requested}`);
    }
    if (!this.configured) throw new BerthError('invalid_argument', STATIC_IP_NEEDS_SUBNET);
    if (!prefixContains(this.subnet, a)) {
      throw new BerthError('invalid_argument', `no configured subnet or ip-range contain the IP address ${requested}`);
    }
    if (!this.#isFree(a)) throw new BerthError('forbidden', ADDRESS_IN_USE);
    this.#allocated.add(a);
    return formatIpv4(a);
  }

  #isFree(a: number): boolean {
    if (a === this.gateway || this.#allocated.has(a)) return false;
    // The network and broadcast addresses are not hosts' (except in /31 and /32, which have no such addresses).
    if (this.subnet.bits < 31 && (a === firstAddress(this.subnet) || a === lastAddress(this.subnet))) return false;
    return true;
  }
}

function noAvailableText(network: NetworkLabel): string {
  return `no available IPv4 addresses on this network's address pools: ${network.name} (${network.id})`;
}

/** The first address of `range` that is neither `subnet`'s network nor its broadcast address. */
function firstUsable(range: Ipv4Prefix, subnet: Ipv4Prefix): number | undefined {
  for (let a = firstAddress(range); a <= lastAddress(range); a++) {
    if (subnet.bits >= 31 || (a !== firstAddress(subnet) && a !== lastAddress(subnet))) return a;
  }
  return undefined;
}

function mustParsePrefix(text: string): Ipv4Prefix {
  const p = parseIpv4Prefix(text);
  if (!p) throw new BerthError('invalid_argument', `invalid CIDR address: ${text}`);
  return p;
}

function mustParseAddress(text: string): number {
  const a = parseIpv4(text);
  if (a === undefined) throw new BerthError('invalid_argument', `invalid IPv4 address: ${text}`);
  return a;
}
