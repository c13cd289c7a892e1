// The embedded DNS server of one user-defined network, on the network's gateway address, port 53
// (UDP and TCP), in the daemon's namespace: containers reach it through their bridge without any
// NAT (their resolv.conf names the gateway). Names it does not know go to the container's `--dns`
// servers, else the network's upstreams (the host's resolvers); an internal network forwards none.
import { readFile, readdir, readlink } from 'node:fs/promises';
import type { BridgeNetworkSpec, NetworkDnsServer } from '../../core/engine/networks/host.ts';
import type { DnsClient } from '../../core/network/dns/resolver.ts';
import type { ServiceRecords } from '../../core/network/dns/service-records.ts';
import { startDnsServer, udpForwarder, type DnsForwarder } from './dns-server.ts';

export const DNS_PORT = 53;

export interface NetworkDnsOptions {
  records: ServiceRecords;
  /** The container behind a source address on this network; undefined refuses the query. */
  client(source: { address: string; port: number }): DnsClient | undefined;
  /** Resolvers as `ip`, `ip:port` or `[ipv6]:port` (port 53 when none). */
  upstreams: readonly string[];
}

export async function startNetworkDns(network: BridgeNetworkSpec, options: NetworkDnsOptions): Promise<NetworkDnsServer> {
  try {
    return await startDnsServer({
      records: options.records,
      client: options.client,
      forward: network.internal ? undefined : clientForwarder(options.upstreams),
      host: network.gateway,
      port: DNS_PORT,
      reuseAddr: true,
    });
  } catch (e) {
    throw new Error(await bindFailure(network, e as NodeJS.ErrnoException), { cause: e });
  }
}

/** The container's own upstreams when it has some (`--dns`), else the network's. */
function clientForwarder(upstreams: readonly string[]): DnsForwarder {
  const network = udpForwarder(upstreams.map(parseUpstream));
  const byClient = new Map<string, DnsForwarder>();
  return (query, client) => {
    if (!client.upstreams?.length) return network(query, client);
    const key = client.upstreams.join(' ');
    let forward = byClient.get(key);
    if (!forward) {
      // Few distinct --dns lists exist at once; drop them all rather than track which are still used.
      if (byClient.size >= 64) byClient.clear();
      forward = udpForwarder(client.upstreams.map(parseUpstream));
      byClient.set(key, forward);
    }
    return forward(query, client);
  };
}

/** `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1` or `[2001:db8::1]:5353`. */
export function parseUpstream(upstream: string): { address: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(upstream);
  if (bracketed) return { address: bracketed[1]!, port: Number(bracketed[2] ?? DNS_PORT) };
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(upstream);
  if (v4) return { address: v4[1]!, port: Number(v4[2]) };
  return { address: upstream, port: DNS_PORT };
}

async function bindFailure(network: BridgeNetworkSpec, e: NodeJS.ErrnoException): Promise<string> {
  const where = `${network.gateway}:${DNS_PORT}`;
  const prefix = `cannot start the DNS server of network ${network.name} on ${where}`;
  if (e.code === 'EADDRINUSE') {
    const holder = await portHolder(DNS_PORT, network.gateway).catch(() => undefined);
    return `${prefix}: the port is already in use${holder ? ` by ${holder}` : ''}; stop that resolver or make it listen on specific addresses (not 0.0.0.0)`;
  }
  if (e.code === 'EADDRNOTAVAIL') return `${prefix}: the address is not on any interface (is bridge ${network.bridge} up with its gateway address?)`;
  return `${prefix}: ${e.message}`;
}

/**
 * Who holds `port` on `address` or on every address, from /proc/net/{udp,tcp} and the sockets in
 * /proc/<pid>/fd: `dnsmasq (pid 812) on 0.0.0.0:53/udp`, or undefined when it cannot be told.
 */
async function portHolder(port: number, address: string): Promise<string | undefined> {
  const wanted = new Set([hexAddress('0.0.0.0'), hexAddress(address)]);
  const sockets = new Map<string, string>();
  for (const protocol of ['udp', 'tcp']) {
    const table = await readFile(`/proc/net/${protocol}`, 'utf8').catch(() => '');
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, , state, inode] = [fields[1], fields[2], fields[3], fields[9]];
      if (!local || !inode || inode === '0') continue;
      // TCP only counts when listening (state 0A); UDP sockets have no such state.
      if (protocol === 'tcp' && state !== '0A') continue;
      const [hex, portHex] = local.split(':') as [string, string];
      if (parseInt(portHex, 16) !== port || !wanted.has(hex)) continue;
      sockets.set(`socket:[${inode}]`, `${dottedAddress(hex)}:${port}/${protocol}`);
    }
  }
  if (sockets.size === 0) return undefined;
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const socket = sockets.get(target);
      if (!socket) continue;
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
      return `${comm} (pid ${pid}) on ${socket}`;
    }
  }
  return `another process on ${[...sockets.values()][0]}`;
}

/** /proc/net's form of an IPv4 address: its 4 bytes in host (little-endian) order, in hex. */
function hexAddress(ipv4: string): string {
  return ipv4.split('.').map((b) => Number(b).toString(16).padStart(2, '0').toUpperCase()).reverse().join('');
}

function dottedAddress(hex: string): string {
  return (hex.match(/../g) ?? []).map((b) => parseInt(b, 16)).reverse().join('.');
}
