// The docker CLI's (v28) network options of `run`/`create`: each `--network` value read as
// opts.NetworkOpt.Set reads it (a name, or `name=n,alias=a,ip=..,driver-opt=k=v,...`), the legacy
// `--ip`, `--ip6`, `--network-alias`, `--link`, `--link-local-ip` and `--mac-address` applied to the
// first network (applyContainerOptions), and the endpoints parseNetworkOpts sends, with its texts;
// and the validators of --dns, --add-host, --dns-search and --link.
import { formatIP, parseIP } from '../../config/ip.ts';
import { endpointSettings } from '../commands/network-connect.ts';
import { goQuote } from '../flags.ts';
import { sortKeys } from './config.ts';
import { readCsvRecord } from './csv.ts';

/** One `--network` value (opts.NetworkAttachmentOpts). */
export interface NetworkAttachment {
  target: string;
  aliases: string[];
  driverOpts: Record<string, string>;
  links: string[];
  ipv4: string;
  ipv6: string;
  linkLocalIPs: string[];
  macAddress: string;
  gwPriority: number;
}

/** The flags applied to the first network. */
export interface LegacyNetworkFlags {
  aliases: string[];
  links: string[];
  ipv4: string;
  ipv6: string;
  linkLocalIPs: string[];
  macAddress: string;
}

/** Go's strings.ToLower: rune by rune (no final-sigma context; U+0130 is a plain i). */
const goLower = (s: string) => Array.from(s, (c) => (c === '\u0130' ? 'i' : c.toLowerCase())).join('');

/** strconv.Atoi's reasons, as the CLI quotes them. */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error('invalid syntax');
  const n = BigInt(s);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw new Error('value out of range');
  return Number(n);
}

/** opts.NetworkOpt.Set: the long syntax when some `\w=\w` appears in it, else a network's name. */
export function parseNetworkOpt(value: string): NetworkAttachment {
  const a: NetworkAttachment = { target: '', aliases: [], driverOpts: {}, links: [], ipv4: '', ipv6: '', linkLocalIPs: [], macAddress: '', gwPriority: 0 };
  if (!/\w=\w/.test(value)) return { ...a, target: value };
  for (const field of readCsvRecord(value)) {
    // The CLI lowercases the whole field, its value too.
    const lower = goLower(field);
    const eq = lower.indexOf('=');
    if (eq <= 0) throw new Error(`invalid field ${field}`);
    const key = lower.slice(0, eq).trim();
    const val = lower.slice(eq + 1).trim();
    switch (key) {
      case 'name': a.target = val; break;
      case 'alias': a.aliases.push(val); break;
      case 'ip': a.ipv4 = val; break;
      case 'ip6': a.ipv6 = val; break;
      case 'mac-address': a.macAddress = val; break;
      case 'link-local-ip': a.linkLocalIPs.push(val); break;
      case 'driver-opt': {
        const i = val.indexOf('=');
        if (i <= 0) throw new Error('invalid key value pair format in driver options');
        a.driverOpts[val.slice(0, i).trim()] = val.slice(i + 1).trim();
        break;
      }
      case 'gw-priority':
        try { a.gwPriority = atoi(val); } catch (e) { throw new Error(`invalid gw-priority (${val}): ${(e as Error).message}`); }
        break;
      default: throw new Error(`invalid field key ${key}`);
    }
  }
  if (a.target === '') throw new Error('network name/id is not specified');
  return a;
}

/** container.NetworkMode.IsUserDefined: not default, bridge, host, none or container:<id>. */
export function isUserDefinedNetwork(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !/^container:/.test(mode);
}

/** Go's net.ParseMAC accepts it: 6, 8 or 20 octets as `xx:xx..`, `xx-xx..` or `xxxx.xxxx..`. */
export function isMacAddress(s: string): boolean {
  if (s.length < 14) return false;
  if (s[2] === ':' || s[2] === '-') {
    const parts = s.split(s[2]);
    return [6, 8, 20].includes(parts.length) && parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p));
  }
  if (s[4] !== '.') return false;
  const parts = s.split('.');
  return [3, 4, 10].includes(parts.length) && parts.every((p) => /^[0-9a-fA-F]{4}$/.test(p));
}

/** applyContainerOptions: the legacy flags onto the first network, refusing what both set. */
function applyLegacyFlags(n: NetworkAttachment, f: LegacyNetworkFlags): void {
  const both = (what: string) => new Error(`conflicting options: cannot specify both ${what}`);
  if (n.aliases.length && f.aliases.length) throw both('--network-alias and per-network alias');
  if (n.links.length && f.links.length) throw both('--link and per-network links');
  if (n.ipv4 && f.ipv4) throw both('--ip and per-network IPv4 address');
  if (n.ipv6 && f.ipv6) throw both('--ip6 and per-network IPv6 address');
  if (n.macAddress && f.macAddress) throw both('--mac-address and per-network MAC address');
  if (n.linkLocalIPs.length && f.linkLocalIPs.length) throw both('--link-local-ip and per-network link-local IP addresses');
  if (f.aliases.length) n.aliases = [...f.aliases];
  // On a user-defined network a link is an alias of the endpoint; on the default bridge a legacy link.
  if (isUserDefinedNetwork(n.target) && f.links.length) n.links = [...f.links];
  if (f.ipv4) n.ipv4 = f.ipv4;
  if (f.ipv6) n.ipv6 = f.ipv6;
  if (f.macAddress) n.macAddress = f.macAddress;
  if (f.linkLocalIPs.length) n.linkLocalIPs = [...f.linkLocalIPs];
}

/** parseNetworkAttachmentOpt: the endpoint settings, or undefined when it asks for nothing. */
function endpointOf(n: NetworkAttachment): Record<string, unknown> | undefined {
  if (n.target.trim() === '') throw new Error('no name set for network');
  if (!isUserDefinedNetwork(n.target)) {
    if (n.aliases.length) throw new Error('network-scoped aliases are only supported for user-defined networks');
    if (n.links.length) throw new Error('links are only supported for user-defined networks');
  }
  if (n.macAddress && !isMacAddress(n.macAddress.trim())) throw new Error(`${n.macAddress} is not a valid mac address`);
  const hasDriverOpts = Object.keys(n.driverOpts).length > 0;
  const bare = !n.aliases.length && !hasDriverOpts && !n.links.length && !n.ipv4 && !n.ipv6 && !n.linkLocalIPs.length && !n.macAddress && n.gwPriority === 0;
  if (bare) return undefined;
  return endpointSettings({
    ipv4: n.ipv4, ipv6: n.ipv6, linkLocalIPs: n.linkLocalIPs,
    links: n.links.length ? n.links : null, aliases: n.aliases.length ? n.aliases : null, macAddress: n.macAddress,
    driverOpts: hasDriverOpts ? sortKeys(n.driverOpts) : null, gwPriority: n.gwPriority,
  });
}

/** An empty endpoint, as the CLI sends `default`'s and every network's without options among several. */
const emptyEndpoint = () => endpointSettings({ links: null, aliases: null, driverOpts: null, gwPriority: 0 });

/** parseNetworkOpts: NetworkMode and EndpointsConfig (keys sorted, as Go marshals the map). */
export function networkEndpoints(values: string[], legacy: LegacyNetworkFlags): { mode: string; endpoints: Record<string, unknown> } {
  const attachments = values.map(parseNetworkOpt);
  const endpoints = new Map<string, Record<string, unknown>>();
  if (attachments.length === 0) {
    const n = parseNetworkOpt('default');
    applyLegacyFlags(n, legacy);
    endpoints.set('default', endpointOf(n) ?? emptyEndpoint());
  }
  let userDefined = false;
  let predefined = false;
  attachments.forEach((n, i) => {
    if (isUserDefinedNetwork(n.target)) userDefined = true; else predefined = true;
    // The first network is what the single `--network` of old was: the legacy flags go to it.
    if (i === 0) applyLegacyFlags(n, legacy);
    const ep = endpointOf(n);
    if (endpoints.has(n.target)) throw new Error(`network ${goQuote(n.target)} is specified multiple times`);
    // One network without options: the daemon makes its endpoint.
    if (i === 0 && attachments.length === 1 && ep === undefined) return;
    endpoints.set(n.target, ep ?? emptyEndpoint());
  });
  if (userDefined && predefined) throw new Error('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return { mode: attachments[0]?.target ?? 'default', endpoints: sortKeys(Object.fromEntries(endpoints)) };
}

/** opts.ValidateIPAddress (`--dns`): surrounding space allowed; Go's canonical form back. */
export function validateIPAddress(value: string): string {
  const ip = parseIP(value.trim());
  if (!ip) throw new Error(`IP address is not correctly formatted: ${value}`);
  return formatIP(ip);
}

/** opts.ValidateExtraHost (`--add-host name:ip`, `name=ip`, `name:[v6]`, `name:host-gateway`): sent as `name:ip`. */
export function validateExtraHost(value: string): string {
  let sep = value.indexOf('=');
  // Without `=` only the first `:` splits, so that IPv6 addresses keep theirs.
  if (sep < 0) sep = value.indexOf(':');
  const name = sep < 0 ? '' : value.slice(0, sep);
  let address = value.slice(sep + 1);
  if (sep < 0 || name === '' || name.includes(':')) throw new Error(`bad format for add-host: ${goQuote(value)}`);
  if (address !== 'host-gateway') {
    if (address.length > 2 && address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
    if (!parseIP(address.trim())) throw new Error(`invalid IP address in add-host: ${goQuote(address)}`);
  }
  return `${name}:${address}`;
}

// docker's domainRegexp, `(:?` typos (an optional colon, not a group) and all.
const DOMAIN = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?\s*$/;

/** opts.ValidateDNSSearch: `.` (no search domain) or a domain, sent without its final dot. */
export function validateDnsSearch(value: string): string {
  const v = value.replace(/^ +| +$/g, '');
  if (v === '.') return v;
  const m = /[a-zA-Z]/.test(v) ? DOMAIN.exec(v) : null;
  if (!m || m[1]!.length >= 255) throw new Error(`${v} is not a valid domain`);
  return m[1]!;
}

/** opts.ValidateLink (`--link name[:alias]`). */
export function validateLink(value: string): string {
  if (value === '') throw new Error('empty string specified for links');
  if (value.split(':').length > 2) throw new Error(`bad format for links: ${value}`);
  return value;
}
