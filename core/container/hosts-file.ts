// The /etc/hosts dockerd writes for a container (libnetwork's etchosts): the fixed localhost and
// IPv6 lines, `--add-host` records, then the container's own addresses with its name.
import { BerthError } from '../errors.ts';
import type { ContainerConfig, HostConfig } from '../engine/containers/types.ts';

export const DEFAULT_HOSTS = [
  ['127.0.0.1', 'localhost'],
  ['::1', 'localhost ip6-localhost ip6-loopback'],
  ['fe00::0', 'ip6-localnet'],
  ['ff00::0', 'ip6-mcastprefix'],
  ['ff02::1', 'ip6-allnodes'],
  ['ff02::2', 'ip6-allrouters'],
] as const;

/**
 * `--add-host` entries (`name:ip`, or `name=ip` from newer clients) as [ip, name] records.
 * `host-gateway` is replaced by `hostGateway` (the daemon's gateway address).
 */
export function parseExtraHosts(extraHosts: readonly string[] | null | undefined, hostGateway?: string): [string, string][] {
  return (extraHosts ?? []).map((entry) => {
    const eq = entry.indexOf('=');
    const colon = entry.indexOf(':');
    const i = eq >= 0 && (colon < 0 || eq < colon) ? eq : colon;
    if (i <= 0) throw new BerthError('invalid_argument', `invalid extra host: ${entry}`);
    const name = entry.slice(0, i);
    let ip = entry.slice(i + 1).replace(/^\[(.*)\]$/, '$1');
    if (ip === 'host-gateway') {
      if (!hostGateway) throw new BerthError('invalid_argument', 'unable to derive the IP value for host-gateway');
      ip = hostGateway;
    }
    if (!ip) throw new BerthError('invalid_argument', `invalid extra host: ${entry}`);
    return [ip, name];
  });
}

export interface HostsOptions {
  domainname?: string;
  /** `--network host`: the host's /etc/hosts, which the container gets instead of the defaults. */
  hostHosts?: string;
  hostGateway?: string;
}

/** The file's text. `ips` are the container's addresses on its networks (none with `--network none`). */
export function generateHosts(hostname: string, extraHosts: readonly string[] | null | undefined, ips: readonly string[], opts: HostsOptions = {}): string {
  const record = (ip: string, names: string) => `${ip}\t${names}\n`;
  const extra = parseExtraHosts(extraHosts, opts.hostGateway).map(([ip, name]) => record(ip, name)).join('');
  if (opts.hostHosts !== undefined) {
    const base = opts.hostHosts === '' || opts.hostHosts.endsWith('\n') ? opts.hostHosts : `${opts.hostHosts}\n`;
    return base + extra;
  }
  const fqdn = opts.domainname ? `${hostname}.${opts.domainname}` : hostname;
  const dot = fqdn.indexOf('.');
  const names = dot > 0 ? `${fqdn} ${fqdn.slice(0, dot)}` : fqdn;
  return DEFAULT_HOSTS.map(([ip, n]) => record(ip, n)).join('') + extra + ips.map((ip) => record(ip, names)).join('');
}

/** The parts of a container record its /etc/hosts depends on. */
export interface HostsRecord {
  Config: Pick<ContainerConfig, 'Hostname' | 'Domainname'>;
  HostConfig: Pick<HostConfig, 'NetworkMode' | 'ExtraHosts'>;
}

/** What the container's networks give its /etc/hosts; the caller reads files and knows the networks. */
export interface ContainerHostsFacts {
  /**
   * The container's IPv4 addresses on its bridge networks in joining order: each gets a
   * `<ip>\t<hostname>` line, as dockerd appends one per network joined. None with `none`, `host`,
   * or at create (before the start allocates them).
   */
  addresses?: readonly string[];
  /** The default bridge's gateway, which `--add-host name:host-gateway` stands for (dockerd's HostGatewayIP). */
  hostGateway?: string;
  /** The host's /etc/hosts text, which a `--network host` container without `--add-host` gets as it is. */
  hostHosts?: string;
}

/** A container's /etc/hosts as dockerd writes it, from its record and its network facts. */
export function containerHosts(rec: HostsRecord, facts: ContainerHostsFacts = {}): string {
  const host = rec.HostConfig.NetworkMode === 'host';
  return generateHosts(rec.Config.Hostname ?? '', rec.HostConfig.ExtraHosts, host ? [] : facts.addresses ?? [], {
    domainname: rec.Config.Domainname,
    hostGateway: facts.hostGateway,
    // dockerd copies the host's file only when there is no --add-host; with some it builds its own.
    hostHosts: host && !rec.HostConfig.ExtraHosts?.length ? facts.hostHosts : undefined,
  });
}
