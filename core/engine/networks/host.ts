// The host seam for networks (libnetwork's driver split): core keeps the network objects, their
// IPAM and which container has which endpoint; the host makes it real. On Linux that is a bridge
// per network, a veth pair per endpoint, policy-routing rules that keep networks apart, a userland
// proxy per published port and an embedded DNS server per user-defined network. A host without it
// (the browser) gives containers no networks but `none`.
import type { ServiceRecords } from '../../network/dns/service-records.ts';
import type { DnsClient } from '../../network/dns/resolver.ts';

/** A bridge network as the host builds it. */
export interface BridgeNetworkSpec {
  /** The network's 64-hex ID. */
  id: string;
  name: string;
  /** The Linux bridge: `berth0` for the default `bridge` network, `br-<id12>` for user-defined ones. */
  bridge: string;
  /** CIDR, e.g. `172.18.0.0/16`. */
  subnet: string;
  /** The bridge's own address (in `subnet`), the containers' default gateway. */
  gateway: string;
  /** No route out of its subnet: containers reach only their own network (and the gateway address). */
  internal: boolean;
  /** 0: the kernel's default (1500). */
  mtu: number;
}

/** One container's interface on a bridge network. */
export interface EndpointSpec {
  network: BridgeNetworkSpec;
  /** The name inside the container: `eth0`, `eth1`, ... in joining order. */
  ifname: string;
  /** The host end of the veth pair (`veth` + 7 hex, at most 15 bytes), attached to the bridge. */
  hostIfname: string;
  /** The container's address in CIDR form: `172.18.0.2/16`. */
  address: string;
  /** `02:42:` + the IPv4 address's bytes, as dockerd makes them. */
  macAddress: string;
  /** Whether this endpoint gives the container its default route (the first non-internal network it joins). */
  defaultRoute: boolean;
}

/** One published port: `hostIp:hostPort` on the host forwards to `containerIp:containerPort`. */
export interface PortMapping {
  protocol: 'tcp' | 'udp' | 'sctp';
  /** `0.0.0.0` for every address (the default of `-p 8080:80`). */
  hostIp: string;
  /** Never 0 here: core picks the port of `-p 80` / `-P` before asking the host. */
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** Published ports held for one container; closing them frees the host ports. */
export interface PublishedPorts {
  close(): Promise<void>;
}

/** The embedded DNS server of one user-defined network. */
export interface NetworkDnsServer {
  close(): Promise<void>;
}

export interface NetworkHost {
  /** The destinations the host already routes (a new network's subnet must not overlap them). */
  hostRoutes(): string[];
  /**
   * Makes the network's bridge with its gateway address, up; adopts a bridge an earlier daemon
   * left (same name and address) so running containers keep their links across a restart.
   */
  createNetwork(network: BridgeNetworkSpec): Promise<void>;
  /** Deletes the bridge and everything berth made for it; idempotent. */
  removeNetwork(network: BridgeNetworkSpec): Promise<void>;
  /**
   * Makes the host keep these networks (every bridge network berth has) apart: traffic from one
   * network's bridge to another network's subnet is refused, and an internal network's traffic
   * leaves its subnet for nowhere but the host. Called with the full list after every change.
   */
  isolate(networks: readonly BridgeNetworkSpec[]): Promise<void>;
  /**
   * Connects the network namespace of process `pid` (the container's init, created but not yet
   * started) to a network: a veth pair with one end in the namespace as `ifname`, its address,
   * and the default route through the gateway when `defaultRoute`.
   */
  join(pid: number, endpoint: EndpointSpec): Promise<void>;
  /** Removes an endpoint from a running container (`network disconnect`); idempotent. */
  leave(pid: number, endpoint: EndpointSpec): Promise<void>;
  /** Listens on every mapping's host address and forwards to the container (a userland proxy). */
  publishPorts(containerId: string, mappings: readonly PortMapping[]): Promise<PublishedPorts>;
  /**
   * Starts the embedded DNS server of a user-defined network on its gateway address, port 53
   * (UDP and TCP): names from `records`, the asking container from `client`, other names sent to
   * `upstreams` unless the network is internal.
   */
  startDns(network: BridgeNetworkSpec, options: {
    records: ServiceRecords;
    client(source: { address: string; port: number }): DnsClient | undefined;
    upstreams: readonly string[];
  }): Promise<NetworkDnsServer>;
  /** Writes a container file bind-mounted into it (/etc/hosts, /etc/resolv.conf) in place, keeping its inode. */
  rewriteFile(path: string, text: string): Promise<void>;
}
