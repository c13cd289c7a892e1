// `berth network create`: the IPAM flags checked and grouped per subnet as the docker CLI does
// (createIPAMConfig), then POST /networks/create; prints the new network's ID.
import { cidrContains, parseCIDR, parseIP } from '../../config/ip.ts';
import type { Command } from '../command.ts';
import { StatusError } from '../command.ts';
import { FlagError, goQuote, type FlagSpec } from '../flags.ts';
import { toMap as keyValueMap } from '../run/config.ts';
import { readCsvRecord } from '../run/csv.ts';

/** pflag's `strings` (StringSlice): every value is a CSV record; an empty one adds nothing. */
export function stringSlice(values: string[]): string[] {
  return values.flatMap((v) => (v === '' ? [] : readCsvRecord(v)));
}

/** A StringSlice flag: its values are checked as CSV when set, as pflag reads them. */
export const stringsFlag = (name: string, usage: string): FlagSpec => ({
  name, kind: 'list', typeName: 'strings', usage, check: (v) => void stringSlice([v]),
});

export interface IpamPoolConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface IpamFlags {
  subnets: string[];
  ipRanges: string[];
  gateways: string[];
  auxAddresses: Record<string, string>;
}

const fail = (message: string): never => { throw new StatusError(message, 1); };

/** Go's net.ParseCIDR error text. */
function parseCidrOrFail(text: string, what: string): NonNullable<ReturnType<typeof parseCIDR>> {
  return parseCIDR(text) ?? fail(`${what}invalid CIDR address: ${text}`);
}

/** subnetMatches: does `data` (an address, or a CIDR whose address counts) lie in `subnet`? */
function subnetMatches(subnet: string, data: string): boolean {
  const net = parseCidrOrFail(subnet, 'invalid subnet: ');
  const ip = data.includes('/') ? parseIP(data.slice(0, data.indexOf('/'))) : parseIP(data);
  if (data.includes('/')) parseCidrOrFail(data, '');
  return ip !== undefined && cidrContains(net, ip);
}

/** createIPAMConfig with its texts; one pool per subnet, in the order the subnets were given. */
export function ipamPools(flags: IpamFlags): IpamPoolConfig[] {
  const { subnets, ipRanges, gateways } = flags;
  if (subnets.length < ipRanges.length || subnets.length < gateways.length) fail('every ip-range or gateway must have a corresponding subnet');
  const pools = new Map<string, IpamPoolConfig>();
  for (const s of subnets) {
    for (const k of pools.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) fail('multiple overlapping subnet configuration is not supported');
    }
    pools.set(s, { Subnet: s });
  }
  const assign = (values: string[], key: 'IPRange' | 'Gateway', noun: string, plural: string) => {
    for (const v of values) {
      let match = false;
      for (const s of subnets) {
        if (key === 'IPRange') parseCidrOrFail(v, '');
        if (!subnetMatches(s, v)) continue;
        const pool = pools.get(s)!;
        if (pool[key]) fail(`cannot configure multiple ${plural} (${v}, ${pool[key]}) ${key === 'IPRange' ? 'on' : 'for'} the same subnet (${s})`);
        pool[key] = v;
        match = true;
      }
      if (!match) fail(`no matching subnet for ${noun} ${v}`);
    }
  };
  assign(ipRanges, 'IPRange', 'range', 'ranges');
  assign(gateways, 'Gateway', 'gateway', 'gateways');
  for (const [key, address] of Object.entries(flags.auxAddresses)) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, address)) continue;
      (pools.get(s)!.AuxiliaryAddresses ??= {})[key] = address;
      match = true;
    }
    if (!match) fail(`no matching subnet for aux-address ${address}`);
  }
  return [...pools.values()];
}

export const networkCreateCmd = (): Command => ({
  name: 'create',
  use: '[OPTIONS] NETWORK',
  short: 'Create a network',
  args: { exact: 1 },
  flags: [
    { name: 'attachable', kind: 'bool', usage: 'Enable manual container attachment' },
    { name: 'aux-address', kind: 'list', typeName: 'map', defaultText: 'map[]', usage: 'Auxiliary IPv4 or IPv6 addresses used by Network driver' },
    { name: 'config-from', kind: 'string', usage: 'The network from which to copy the configuration' },
    { name: 'config-only', kind: 'bool', usage: 'Create a configuration only network' },
    { name: 'driver', short: 'd', kind: 'string', usage: 'Driver to manage the Network', default: 'bridge' },
    stringsFlag('gateway', 'IPv4 or IPv6 Gateway for the master subnet'),
    { name: 'ingress', kind: 'bool', usage: 'Create swarm routing-mesh network' },
    { name: 'internal', kind: 'bool', usage: 'Restrict external access to the network' },
    stringsFlag('ip-range', 'Allocate container ip from a sub-range'),
    { name: 'ipam-driver', kind: 'string', usage: 'IP Address Management Driver', default: 'default' },
    { name: 'ipam-opt', kind: 'list', typeName: 'map', defaultText: 'map[]', usage: 'Set IPAM driver specific options' },
    { name: 'ipv4', kind: 'bool', usage: 'Enable or disable IPv4 address assignment', default: true },
    { name: 'ipv6', kind: 'bool', usage: 'Enable or disable IPv6 address assignment' },
    { name: 'label', kind: 'list', usage: 'Set metadata on a network' },
    { name: 'opt', short: 'o', kind: 'list', typeName: 'map', defaultText: 'map[]', usage: 'Set driver specific options' },
    { name: 'scope', kind: 'string', usage: "Control the network's scope" },
    stringsFlag('subnet', 'Subnet in CIDR format that represents a network segment'),
  ],
  run: async (ctx) => {
    const f = ctx.flags;
    const list = (name: string) => f[name] as string[];
    for (const l of list('label')) {
      if (l.split('=')[0]!.trim() === '') throw new FlagError(`invalid argument ${goQuote(l)} for "--label" flag: invalid label '${l}': empty name`);
    }
    const pools = ipamPools({
      subnets: stringSlice(list('subnet')), ipRanges: stringSlice(list('ip-range')), gateways: stringSlice(list('gateway')),
      auxAddresses: keyValueMap(list('aux-address')),
    });
    // Field order and omissions as the docker CLI marshals network.CreateRequest.
    const body: Record<string, unknown> = { Driver: f.driver as string, Scope: f.scope as string };
    if (ctx.changed.has('ipv4')) body.EnableIPv4 = f.ipv4 as boolean;
    if (ctx.changed.has('ipv6')) body.EnableIPv6 = f.ipv6 as boolean;
    Object.assign(body, {
      IPAM: { Driver: f['ipam-driver'] as string, Options: keyValueMap(list('ipam-opt')), Config: pools },
      Internal: f.internal as boolean,
      Attachable: f.attachable as boolean,
      Ingress: f.ingress as boolean,
      ConfigOnly: f['config-only'] as boolean,
      ConfigFrom: f['config-from'] ? { Network: f['config-from'] as string } : null,
      Options: keyValueMap(list('opt')),
      Labels: keyValueMap(list('label')),
      Name: ctx.args[0]!,
    });
    const api = await ctx.api();
    const r = await api.json<{ Id: string }>('POST', '/networks/create', { json: body });
    await ctx.out(`${r.Id}\n`);
  },
});
