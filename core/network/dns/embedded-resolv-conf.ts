// The /etc/resolv.conf of a container on a user-defined network (libnetwork's rebuildDNS): the
// embedded server as the only nameserver, the search list and options the container would have had
// otherwise, plus `ndots:0` so every name is first asked as given; the nameservers it would have
// had become the embedded server's upstreams.
import { buildResolvConf, nameservers, resolvOptions, searchDomains } from '../../container/resolv-conf.ts';

/**
 * Where dockerd's embedded DNS server answers inside a container. berth's Linux host puts each
 * user network's server on that network's gateway instead (no NAT in the container's namespace):
 * its callers pass the gateway as `nameserver`.
 */
export const EMBEDDED_DNS_ADDRESS = '127.0.0.11';

export interface EmbeddedResolvConf {
  /** The file's text. */
  text: string;
  /** Where the server forwards names it does not know: `--dns`, else the host's nameservers (localhost ones too: forwarding happens from the host's namespace). */
  upstreams: string[];
  /** An ndots above 0 was asked for (the host's file or `--dns-option`): see DnsClient.ndotsSet. */
  ndotsSet: boolean;
}

export function embeddedResolvConf(
  hostResolvConf: string,
  dns?: readonly string[] | null,
  dnsSearch?: readonly string[] | null,
  dnsOptions?: readonly string[] | null,
  nameserver: string = EMBEDDED_DNS_ADDRESS,
): EmbeddedResolvConf {
  const upstreams = dns?.length ? [...dns] : nameservers(hostResolvConf);
  const search = dnsSearch?.length ? dnsSearch : searchDomains(hostResolvConf);
  const options = [...(dnsOptions?.length ? dnsOptions : resolvOptions(hostResolvConf))];
  const ndots = options.find((o) => o.startsWith('ndots:'));
  if (!ndots) options.push('ndots:0');
  const ndotsSet = ndots !== undefined && Number(ndots.slice('ndots:'.length)) > 0;
  return { text: buildResolvConf([nameserver], search, options), upstreams, ndotsSet };
}
