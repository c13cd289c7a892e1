// A container's /etc/resolv.conf from its record and its networks: on a user-defined network the
// embedded DNS server of its first such network (on that network's gateway), with the names the
// container would have asked elsewhere as that server's upstreams; on the default bridge, `none`
// and `host` the file dockerd writes from the host's.
import type { HostConfig } from '../../engine/containers/types.ts';
import { generateResolvConf } from '../../container/resolv-conf.ts';
import { embeddedResolvConf } from './embedded-resolv-conf.ts';

/** The parts of a container record its /etc/resolv.conf depends on. */
export interface ResolvConfRecord {
  HostConfig: Pick<HostConfig, 'NetworkMode' | 'Dns' | 'DnsSearch' | 'DnsOptions'>;
}

export interface ContainerResolvFacts {
  /** The host's /etc/resolv.conf text (the caller reads it; '' when there is none). */
  hostResolvConf: string;
  /**
   * The gateway address of the container's first user-defined network, where that network's
   * embedded DNS server listens; undefined on the default bridge, `host`, `none`.
   */
  embeddedDns?: string;
}

export interface ContainerResolvConf {
  text: string;
  /**
   * For the embedded server: where it sends names it does not know for this container (`--dns`,
   * else the host's nameservers, localhost ones included: the server forwards from the host's
   * namespace). Empty without an embedded server.
   */
  upstreams: string[];
  /** An ndots above 0 was asked for: the container's DnsClient.ndotsSet. */
  ndotsSet: boolean;
}

export function containerResolvConf(rec: ResolvConfRecord, facts: ContainerResolvFacts): ContainerResolvConf {
  const { Dns, DnsSearch, DnsOptions, NetworkMode } = rec.HostConfig;
  if (facts.embeddedDns !== undefined && NetworkMode !== 'host') {
    return embeddedResolvConf(facts.hostResolvConf, Dns, DnsSearch, DnsOptions, facts.embeddedDns);
  }
  const text = generateResolvConf(facts.hostResolvConf, Dns, DnsSearch, DnsOptions, { hostNetwork: NetworkMode === 'host' });
  return { text, upstreams: [], ndotsSet: false };
}
