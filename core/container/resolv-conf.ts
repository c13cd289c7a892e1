// The /etc/resolv.conf dockerd writes for a container (libnetwork's resolvconf): the host's file
// with localhost nameservers removed (they are unreachable from another network namespace),
// Google's public servers when none are left; or, with `--dns`/`--dns-search`/`--dns-option`, a
// file built from those, the host's values filling the parts not given.

const NAMESERVER = /^\s*nameserver\s+(\S+)\s*$/;
const LOCALHOST_NS = /^nameserver\s+((127\.(\d{1,3}\.){2}\d{1,3})|(::1))\s*$/;
const IPV6_NS = /^nameserver\s+[0-9a-fA-F:]*:[0-9a-fA-F:.%\w]*\s*$/;

export const DEFAULT_IPV4_DNS = ['8.8.8.8', '8.8.4.4'];
export const DEFAULT_IPV6_DNS = ['2001:4860:4860::8888', '2001:4860:4860::8844'];

/** Lines without comments (`#` or `;` to the end of the line). */
function lines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/[#;].*$/, ''));
}

export function nameservers(text: string): string[] {
  return lines(text).map((l) => NAMESERVER.exec(l)?.[1]).filter((ip): ip is string => !!ip && /^[0-9a-fA-F.:%\w]+$/.test(ip) && (ip.includes('.') || ip.includes(':')));
}

/** The last `search` line's domains, as the resolver reads it. */
export function searchDomains(text: string): string[] {
  let out: string[] = [];
  for (const l of lines(text)) { const m = /^\s*search\s+(.*)$/.exec(l); if (m) out = m[1]!.trim().split(/\s+/).filter(Boolean); }
  return out;
}

export function resolvOptions(text: string): string[] {
  let out: string[] = [];
  for (const l of lines(text)) { const m = /^\s*options\s+(.*)$/.exec(l); if (m) out = m[1]!.trim().split(/\s+/).filter(Boolean); }
  return out;
}

/**
 * Whether a host's resolv.conf only names systemd-resolved's stub (127.0.0.53): dockerd then reads
 * the servers behind it from /run/systemd/resolve/resolv.conf instead (libnetwork's resolvconf.Path).
 */
export function onlySystemdResolvedStub(text: string): boolean {
  const servers = nameservers(text);
  return servers.length === 1 && servers[0] === '127.0.0.53';
}

export interface ResolvConfOptions {
  /** `--network host`: the host's file is used unchanged. */
  hostNetwork?: boolean;
  /** The container has IPv6: IPv6 nameservers are kept, and Google's IPv6 servers join the fallback. */
  ipv6?: boolean;
}

export function buildResolvConf(dns: readonly string[], search: readonly string[], options: readonly string[]): string {
  let out = '';
  if (search.length && search.join(' ').trim() !== '.') out += `search ${search.join(' ')}\n`;
  for (const ns of dns) out += `nameserver ${ns}\n`;
  if (options.length && options.join(' ').trim() !== '') out += `options ${options.join(' ')}\n`;
  return out;
}

export function generateResolvConf(
  hostResolvConf: string,
  dns: readonly string[] | null | undefined,
  dnsSearch: readonly string[] | null | undefined,
  dnsOptions: readonly string[] | null | undefined,
  opts: ResolvConfOptions = {},
): string {
  if (dns?.length || dnsSearch?.length || dnsOptions?.length) {
    return buildResolvConf(
      dns?.length ? dns : nameservers(hostResolvConf),
      dnsSearch?.length ? dnsSearch : searchDomains(hostResolvConf),
      dnsOptions?.length ? dnsOptions : resolvOptions(hostResolvConf),
    );
  }
  if (opts.hostNetwork) return hostResolvConf;
  let kept = hostResolvConf.split('\n').filter((l) => !LOCALHOST_NS.test(l));
  if (!opts.ipv6) kept = kept.filter((l) => !IPV6_NS.test(l));
  let text = kept.join('\n');
  if (nameservers(text).length === 0) {
    const fallback = opts.ipv6 ? [...DEFAULT_IPV4_DNS, ...DEFAULT_IPV6_DNS] : DEFAULT_IPV4_DNS;
    text += `\n${fallback.map((ip) => `nameserver ${ip}`).join('\n')}`;
  }
  return text;
}
