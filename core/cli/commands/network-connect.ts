// `berth network connect` and `disconnect`: POST /networks/{id}/connect with the endpoint settings
// the docker CLI builds from its flags, and POST /networks/{id}/disconnect.
import type { Command } from '../command.ts';
import { StatusError } from '../command.ts';
import { sortKeys } from '../run/config.ts';
import { validateLink } from '../run/network-opts.ts';
import { stringSlice, stringsFlag } from './network-create.ts';

/** convertDriverOpt: `k=v` pairs, trimmed; a missing `=` or key is refused. Keys sorted, as Go marshals the map. */
export function driverOpts(values: string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const opt of values) {
    const i = opt.indexOf('=');
    const k = (i < 0 ? opt : opt.slice(0, i)).trim();
    if (i < 0 || k === '') throw new StatusError('invalid key/value pair format in driver options', 1);
    m[k] = opt.slice(i + 1).trim();
  }
  return sortKeys(m);
}

/** network.EndpointSettings as the docker CLI marshals it (IPAM fields omitted when empty). */
export function endpointSettings(s: {
  ipv4?: string; ipv6?: string; linkLocalIPs?: string[]; links: string[] | null; aliases: string[] | null;
  macAddress?: string; driverOpts: Record<string, string> | null; gwPriority: number; ipam?: 'always' | 'when-set';
}): Record<string, unknown> {
  const ipam: Record<string, unknown> = {};
  if (s.ipv4) ipam.IPv4Address = s.ipv4;
  if (s.ipv6) ipam.IPv6Address = s.ipv6;
  if (s.linkLocalIPs?.length) ipam.LinkLocalIPs = s.linkLocalIPs;
  return {
    IPAMConfig: s.ipam === 'always' || Object.keys(ipam).length ? ipam : null,
    Links: s.links, Aliases: s.aliases, MacAddress: s.macAddress ?? '', DriverOpts: s.driverOpts, GwPriority: s.gwPriority,
    NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

export const networkConnectCmd = (): Command => ({
  name: 'connect',
  use: '[OPTIONS] NETWORK CONTAINER',
  short: 'Connect a container to a network',
  args: { exact: 2 },
  flags: [
    stringsFlag('alias', 'Add network-scoped alias for the container'),
    stringsFlag('driver-opt', 'driver options for the network'),
    { name: 'gw-priority', kind: 'int', usage: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.' },
    { name: 'ip', kind: 'string', usage: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', kind: 'string', usage: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', kind: 'list', usage: 'Add link to another container', check: validateLink },
    stringsFlag('link-local-ip', 'Add a link-local address for the container'),
  ],
  run: async (ctx) => {
    const f = ctx.flags;
    const links = f.link as string[];
    const endpoint = endpointSettings({
      ipv4: f.ip as string, ipv6: f.ip6 as string, linkLocalIPs: stringSlice(f['link-local-ip'] as string[]),
      links: links.length ? links : null, aliases: stringSlice(f.alias as string[]),
      driverOpts: driverOpts(stringSlice(f['driver-opt'] as string[])), gwPriority: f['gw-priority'] as number, ipam: 'always',
    });
    const api = await ctx.api();
    await api.request('POST', `/networks/${encodeURIComponent(ctx.args[0]!)}/connect`, { json: { Container: ctx.args[1]!, EndpointConfig: endpoint } });
  },
});

export const networkDisconnectCmd = (): Command => ({
  name: 'disconnect',
  use: '[OPTIONS] NETWORK CONTAINER',
  short: 'Disconnect a container from a network',
  args: { exact: 2 },
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Force the container to disconnect from a network' }],
  run: async (ctx) => {
    const api = await ctx.api();
    await api.request('POST', `/networks/${encodeURIComponent(ctx.args[0]!)}/disconnect`, {
      json: { Container: ctx.args[1]!, Force: ctx.flags.force as boolean },
    });
  },
});
