// A bridge network's subnet as the kernel wants it: canonical (host bits clear) for routes and the
// prefix length for the gateway's address on the bridge.
import type { BridgeNetworkSpec } from '../../core/engine/networks/host.ts';
import { formatPrefix, masked, parseIpv4, parseIpv4Prefix, prefixContains, type Ipv4Prefix } from '../../core/network/ipv4.ts';
import { BerthError } from '../../core/errors.ts';

function subnetOf(spec: BridgeNetworkSpec): Ipv4Prefix {
  const prefix = parseIpv4Prefix(spec.subnet);
  if (!prefix) throw new BerthError('invalid_argument', `network ${spec.name}: invalid subnet "${spec.subnet}": expected an IPv4 CIDR such as 172.18.0.0/16`);
  return prefix;
}

/** `172.18.0.0/16` even when the spec wrote `172.18.0.5/16`. */
export function canonicalSubnet(spec: BridgeNetworkSpec): string {
  return formatPrefix(masked(subnetOf(spec)));
}

/**
 * The bridge's own address in CIDR form: the gateway with the subnet's prefix length
 * (`172.18.0.1/16`). Checked before anything is made, so a bad spec leaves no bridge behind.
 */
export function gatewayCidr(spec: BridgeNetworkSpec): string {
  const subnet = subnetOf(spec);
  const gateway = parseIpv4(spec.gateway);
  if (gateway === undefined) throw new BerthError('invalid_argument', `network ${spec.name}: invalid gateway "${spec.gateway}": expected an IPv4 address such as 172.18.0.1`);
  if (!prefixContains(subnet, gateway)) {
    throw new BerthError('invalid_argument', `network ${spec.name}: gateway ${spec.gateway} is not in its subnet ${formatPrefix(masked(subnet))}`);
  }
  return `${spec.gateway}/${subnet.bits}`;
}
