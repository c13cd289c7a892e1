// `network create --subnet/--ip-range/--gateway` validation, worded as dockerd's ValidateIPAM
// (api/types/network/ipam.go) so scripts matching on the daemon's texts keep working.
import { BerthError } from '../errors.ts';
import { type Ipv4Prefix, formatPrefix, masked, parseIpv4, parseIpv4Prefix, prefixContains, prefixesOverlap } from './ipv4.ts';

/** One entry of a network's `IPAM.Config` as the Engine API carries it. */
export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

function isIpv6(text: string): boolean {
  return text.includes(':');
}

function addressProblem(text: string, subnet: Ipv4Prefix, subnetText: string): string | undefined {
  if (isIpv6(text)) return 'parent subnet is an IPv4 block';
  const address = parseIpv4(text);
  if (address === undefined) return 'invalid address';
  return prefixContains(subnet, address) ? undefined : `parent subnet ${subnetText} doesn't contain this address`;
}

function ipRangeProblems(text: string, subnet: Ipv4Prefix, subnetText: string): string[] {
  if (isIpv6(text) && text.includes('/')) return [`invalid ip-range ${text}: parent subnet is an IPv4 block`];
  const range = parseIpv4Prefix(text);
  if (!range) return [`invalid ip-range ${text}: invalid CIDR block notation`];
  const problems: string[] = [];
  if (range.bits < subnet.bits) problems.push(`invalid ip-range ${text}: CIDR block is bigger than its parent subnet ${subnetText}`);
  const canonical = formatPrefix(masked(range));
  if (canonical !== text) problems.push(`invalid ip-range ${text}: it should be ${canonical}`);
  if (!prefixesOverlap(subnet, range)) problems.push(`invalid ip-range ${text}: parent subnet ${subnetText} doesn't contain ip-range`);
  return problems;
}

/** Every problem of the configs, in dockerd's order and words (empty when they are valid). */
export function ipamConfigProblems(configs: readonly IpamConfig[]): string[] {
  const problems: string[] = [];
  for (const config of configs) {
    const subnetText = config.Subnet ?? '';
    // An IPv6 subnet is the IPv6 allocator's business (berth networks are IPv4-only for now).
    if (isIpv6(subnetText)) continue;
    const subnet = parseIpv4Prefix(subnetText);
    if (!subnet) {
      problems.push(`invalid subnet ${subnetText}: invalid CIDR block notation`);
      continue;
    }
    const canonical = formatPrefix(masked(subnet));
    if (canonical !== subnetText) problems.push(`invalid subnet ${subnetText}: it should be ${canonical}`);
    if (config.IPRange) problems.push(...ipRangeProblems(config.IPRange, subnet, subnetText));
    if (config.Gateway) {
      const problem = addressProblem(config.Gateway, subnet, subnetText);
      if (problem) problems.push(`invalid gateway ${config.Gateway}: ${problem}`);
    }
    for (const [name, value] of Object.entries(config.AuxiliaryAddresses ?? {})) {
      const problem = addressProblem(value, subnet, subnetText);
      if (problem) problems.push(`invalid auxiliary address ${name}: ${problem}`);
    }
  }
  return problems;
}

/** Throws dockerd's "invalid network config" (400) when the configs are not valid. */
export function validateIpamConfig(configs: readonly IpamConfig[]): void {
  const problems = ipamConfigProblems(configs);
  if (problems.length > 0) throw new BerthError('invalid_argument', `invalid network config:\n${problems.join('\n')}`);
}

export const POOL_OVERLAP = 'invalid pool request: Pool overlaps with other one on this address space';

/** A requested subnet that overlaps another network's is refused as dockerd's default IPAM does (403). */
export function checkSubnetFree(subnet: string, existing: readonly string[]): void {
  const wanted = parseIpv4Prefix(subnet);
  if (!wanted) throw new BerthError('invalid_argument', `invalid network config:\ninvalid subnet ${subnet}: invalid CIDR block notation`);
  if (existing.some((e) => { const p = parseIpv4Prefix(e); return p !== undefined && prefixesOverlap(p, wanted); })) {
    throw new BerthError('forbidden', POOL_OVERLAP);
  }
}
