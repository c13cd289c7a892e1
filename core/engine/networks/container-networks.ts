// Containers on networks (dockerd's sandbox and endpoints): which networks a container names at
// create, its endpoints made at start (an address from the network's IPAM, a veth into the
// init's namespace, its DNS names, its /etc/hosts and /etc/resolv.conf, its published ports),
// released at exit, `network connect`/`disconnect`, and the state a restarted daemon takes over.
import { BerthError, errorMessage } from '../../errors.ts';
import type { Container } from '../containers/container.ts';
import type { ContainerRecord, EndpointSettings, HostConfig, NetworkingConfig, PortBinding } from '../containers/types.ts';
import { generateId } from '../containers/names.ts';
import { isWasiPlatform } from '../../wasi/runtime.ts';
import { STATIC_IP_NEEDS_SUBNET } from '../../network/ipam.ts';
import { parseIpv4, prefixContains } from '../../network/ipv4.ts';
import { HostPortAllocator } from '../../network/host-ports.ts';
import { mappingsOfPorts, portMappings, portsField } from '../../network/port-mappings.ts';
import { containerHosts } from '../../container/hosts-file.ts';
import { containerResolvConf } from '../../network/dns/container-resolv-conf.ts';
import type { DnsClient } from '../../network/dns/resolver.ts';
import type { EndpointSpec, PortMapping, PublishedPorts } from './host.ts';
import { bridgeSpec, macAddressOf } from './network.ts';
import type { FoundNetwork, NetworkService } from './service.ts';

const IP_ON_DEFAULT_BRIDGE = 'user specified IP address is supported on user defined networks only';
const ALIAS_ON_DEFAULT_BRIDGE = 'network-scoped alias is supported only for containers in user defined networks';
const HOST_NETWORK_CONFLICT = 'container cannot be disconnected from host network or connected to host network';
const LINKS_UNSUPPORTED = 'berth does not support legacy container links (--link): put the containers on a user-defined network '
  + '(docker network create), where they reach each other by name, and use --network-alias for other names';
const NONE_NETWORK_CONFLICT = 'container cannot be connected to multiple networks with one of the networks in private (none) mode';

export interface ContainerNetworksOptions {
  /** Host ports of published container ports (dockerd's portallocator); one without a probe when omitted. */
  ports?: HostPortAllocator;
  /** The host's /etc/hosts-independent facts a container's resolv.conf needs: the host's /etc/resolv.conf text. */
  hostResolvConf?: () => Promise<string>;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** A bridge network a container has an endpoint on, with its settings in the record. */
interface Joined { network: Extract<FoundNetwork, { kind: 'bridge' }>; name: string; settings: EndpointSettings }

function emptyEndpoint(networkId: string, config: EndpointSettings | null | undefined): EndpointSettings {
  return {
    IPAMConfig: config?.IPAMConfig ?? null, Links: config?.Links ?? null, Aliases: config?.Aliases?.length ? [...config.Aliases] : null,
    MacAddress: config?.MacAddress ?? '', DriverOpts: config?.DriverOpts ?? null, NetworkID: networkId, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0,
    IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

/** The endpoint's MAC and static IPv4 address checked (dockerd refuses either when it is no address, at create); the IPv4 one parsed. */
function checkAddresses(config: EndpointSettings | null | undefined): number | undefined {
  const mac = config?.MacAddress;
  if (mac && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new BerthError('invalid_argument', `invalid MAC address: ${mac}`);
  const ip = config?.IPAMConfig?.IPv4Address;
  if (!ip) return undefined;
  const a = parseIpv4(ip);
  if (a === undefined) throw new BerthError('invalid_argument', `invalid IPv4 address: ${ip}`);
  return a;
}

function networksOf(rec: ContainerRecord): Record<string, EndpointSettings> {
  const ns = rec.NetworkSettings as { Networks?: Record<string, EndpointSettings> };
  ns.Networks ??= {};
  return ns.Networks;
}

const settingsOf = (rec: ContainerRecord) => rec.NetworkSettings as Record<string, unknown>;
const interfacesOf = (rec: ContainerRecord) => (rec.BerthInterfaces ??= {});

export class ContainerNetworks {
  readonly ports: HostPortAllocator;
  /** The published ports each running container holds. */
  private readonly published = new Map<string, { mappings: PortMapping[]; handle?: PublishedPorts }>();
  /** `networkId/address` -> the container asking the network's DNS server from that address. */
  private readonly dnsClients = new Map<string, DnsClient>();
  /** The containers of the daemon; the container service sets it. */
  containers: () => Iterable<Container> = () => [];

  constructor(readonly nets: NetworkService, private readonly opts: ContainerNetworksOptions = {}) {
    this.ports = opts.ports ?? new HostPortAllocator();
    nets.attached = (networkId) => {
      const out = [];
      for (const c of this.containers()) {
        if (!c.running) continue;
        for (const settings of Object.values(networksOf(c.rec))) {
          if (settings.NetworkID === networkId && settings.EndpointID) out.push({ containerId: c.id, containerName: c.rec.Name.slice(1), endpoint: settings });
        }
      }
      return out;
    };
    nets.dnsClient = (networkId, address) => this.dnsClients.get(`${networkId}/${address}`);
  }

  private log(level: 'info' | 'warn' | 'error', m: string): void { this.opts.log?.(level, m); }

  /**
   * At create: the record's `NetworkSettings.Networks` from NetworkMode and EndpointsConfig, the
   * endpoint options checked against the networks that exist. A network that does not exist (yet)
   * is kept by the name given: as dockerd, the create succeeds and the start fails.
   */
  endpointsAtCreate(hostConfig: HostConfig, networking: NetworkingConfig | null | undefined): Record<string, EndpointSettings> {
    const mode = hostConfig.NetworkMode || 'default';
    const configs = { ...(networking?.EndpointsConfig ?? {}) };
    if (hostConfig.Links?.length || Object.values(configs).some((c) => c?.Links?.length)) throw new BerthError('invalid_argument', LINKS_UNSUPPORTED);
    if (mode.startsWith('container:')) return {};
    const out: Record<string, EndpointSettings> = {};
    const add = (term: string, config: EndpointSettings | null | undefined) => {
      const network = this.nets.lookup(term);
      if (!network) {
        checkAddresses(config);
        out[term] = emptyEndpoint('', config);
        return;
      }
      const { id, name } = this.nets.identity(network);
      this.checkEndpointConfig(network, config);
      out[name] = emptyEndpoint(id, config);
    };
    const main = mode === 'default' ? 'bridge' : mode;
    if ((main === 'host' || main === 'none') && Object.keys(configs).length > 1) {
      // dockerd's verifyNetworkingConfig: host and none are the container's only network.
      throw new BerthError('invalid_argument', `Container cannot be connected to network endpoints: ${Object.keys(configs).sort().join(', ')}`);
    }
    add(main, configs[mode] ?? configs[main] ?? (mode === 'default' || mode === 'bridge' ? configs.default : undefined));
    if (main === 'host' || main === 'none') return out;
    for (const [term, config] of Object.entries(configs)) {
      if (term === mode || term === main || term === 'default') continue;
      const network = this.nets.lookup(term);
      if (network && network.kind !== 'bridge') throw new BerthError('invalid_argument', network.kind === 'host' ? HOST_NETWORK_CONFLICT : NONE_NETWORK_CONFLICT);
      if (!network || !(this.nets.identity(network).name in out)) add(term, config);
    }
    return out;
  }

  /** Before a start makes anything: every network the container names exists (dockerd's `network X not found`, 404). */
  checkNetworks(rec: ContainerRecord): void {
    this.resolve(rec);
  }

  private checkEndpointConfig(network: FoundNetwork, config: EndpointSettings | null | undefined): void {
    const ip = config?.IPAMConfig?.IPv4Address;
    const user = network.kind === 'bridge' && !this.nets.isDefaultBridge(network.rec);
    const a = checkAddresses(config);
    if (ip) {
      if (!user) throw new BerthError('invalid_argument', IP_ON_DEFAULT_BRIDGE);
      if (!network.ipam.configured) throw new BerthError('invalid_argument', STATIC_IP_NEEDS_SUBNET);
      if (!prefixContains(network.ipam.subnet, a!)) throw new BerthError('invalid_argument', `no configured subnet or ip-range contain the IP address ${ip}`);
    }
    if (config?.Aliases?.length && !user) throw new BerthError('invalid_argument', ALIAS_ON_DEFAULT_BRIDGE);
  }

  /** Fills the NetworkID of a record made before networks had records (the predefined ones' IDs are stable). */
  fillNetworkIds(rec: ContainerRecord): void {
    for (const [name, settings] of Object.entries(networksOf(rec))) {
      if (settings.NetworkID) continue;
      const network = this.nets.lookup(name === 'default' ? 'bridge' : name);
      if (network) settings.NetworkID = this.nets.identity(network).id;
    }
  }

  /** The networks a container names, found (a network removed since is `network X not found`). */
  private resolve(rec: ContainerRecord): { name: string; settings: EndpointSettings; network: FoundNetwork }[] {
    return Object.entries(networksOf(rec)).map(([name, settings]) => {
      const network = (settings.NetworkID && this.nets.lookup(settings.NetworkID)) || this.nets.lookup(name);
      if (!network) throw new BerthError('not_found', `network ${name} not found`);
      return { name, settings, network };
    });
  }

  /**
   * At start, after the runtime made the init (stopped before exec) and before it runs: every
   * network joined, names registered, files rewritten, ports published. All or nothing: on an
   * error what was made is undone and the error has dockerd's text.
   */
  async attach(c: Container, pid: number): Promise<void> {
    const rec = c.rec;
    const networks = this.resolve(rec);
    for (const n of networks) this.nets.publish('connect', n.network, c.id);
    if (isWasiPlatform(rec.Platform) || !this.nets.host) return;
    const ns = settingsOf(rec);
    ns.SandboxID = generateId();
    ns.SandboxKey = `/proc/${pid}/ns/net`;
    try {
      let defaultRoute = true;
      for (const n of networks) {
        if (n.network.kind !== 'bridge') continue;
        const internal = n.network.rec.network.Internal;
        await this.join(c, pid, { network: n.network, name: n.name, settings: n.settings }, defaultRoute && !internal);
        if (!internal) defaultRoute = false;
      }
      await this.rewriteFiles(c);
      await this.publishPorts(c);
    } catch (e) {
      await this.detach(c);
      throw e;
    }
  }

  /** One endpoint: an address, the veth, the record's settings, the DNS names. */
  private async join(c: Container, pid: number, j: Joined, defaultRoute: boolean): Promise<void> {
    const { network, settings } = j;
    const host = this.nets.host!;
    const address = network.ipam.allocate(settings.IPAMConfig?.IPv4Address);
    const endpointId = generateId();
    const interfaces = interfacesOf(c.rec);
    const used = new Set(Object.values(interfaces));
    let n = 0;
    while (used.has(`eth${n}`)) n++;
    // A MAC the user asked for (--mac-address) is kept across starts; otherwise dockerd's 02:42 + the address.
    const desired = settings.MacAddress || c.rec.BerthMacAddresses?.[j.name];
    if (settings.MacAddress) (c.rec.BerthMacAddresses ??= {})[j.name] = settings.MacAddress;
    const spec: EndpointSpec = {
      network: bridgeSpec(network.rec), ifname: `eth${n}`, hostIfname: `veth${endpointId.slice(0, 7)}`,
      address: `${address}/${network.ipam.prefixLength}`, macAddress: desired || macAddressOf(address), defaultRoute,
    };
    try {
      // The bridge is made again if something removed it or took its address since (another daemon
      // on the host given the same bridge name): joining it as it is would leave the container cut off.
      await host.createNetwork(spec.network);
      await host.join(pid, spec);
    } catch (e) {
      network.ipam.release(address);
      throw e;
    }
    interfaces[network.rec.network.Id] = spec.ifname;
    Object.assign(settings, {
      NetworkID: network.rec.network.Id, EndpointID: endpointId, Gateway: network.ipam.state().gateway, IPAddress: address,
      IPPrefixLen: network.ipam.prefixLength, MacAddress: spec.macAddress,
    });
    if (this.nets.isDefaultBridge(network.rec)) {
      Object.assign(settingsOf(c.rec), {
        EndpointID: endpointId, Gateway: settings.Gateway, IPAddress: address, IPPrefixLen: settings.IPPrefixLen, MacAddress: spec.macAddress,
      });
    } else {
      const name = c.rec.Name.slice(1);
      const aliases = settings.Aliases ?? [];
      settings.DNSNames = [...new Set([name, ...aliases, c.id.slice(0, 12)])];
      this.nets.serviceRecords.add({ network: j.name, containerId: c.id, containerName: name, aliases, ipv4: address });
    }
  }

  /** The user-defined networks the container has endpoints on, in joining order. */
  private joined(rec: ContainerRecord): Joined[] {
    const out: Joined[] = [];
    for (const [name, settings] of Object.entries(networksOf(rec))) {
      if (!settings.EndpointID || !settings.NetworkID) continue;
      const network = this.nets.lookup(settings.NetworkID);
      if (network?.kind === 'bridge') out.push({ network, name, settings });
    }
    return out;
  }

  /** /etc/hosts with the container's addresses, /etc/resolv.conf naming its first user network's DNS server. */
  private async rewriteFiles(c: Container): Promise<void> {
    const host = this.nets.host!;
    const rec = c.rec;
    const joined = this.joined(rec);
    const bridge = this.nets.lookup('bridge');
    const hostGateway = bridge?.kind === 'bridge' ? bridge.ipam.state().gateway : undefined;
    const users = joined.filter((j) => !this.nets.isDefaultBridge(j.network.rec));
    for (const j of users) this.dnsClients.delete(`${j.network.rec.network.Id}/${j.settings.IPAddress}`);
    if (rec.HostsPath) {
      await host.rewriteFile(rec.HostsPath, containerHosts(rec, { addresses: joined.map((j) => j.settings.IPAddress!), ...(hostGateway ? { hostGateway } : {}) }));
    }
    if (!users.length) return;
    const resolv = containerResolvConf(rec, { hostResolvConf: await this.opts.hostResolvConf?.() ?? '', embeddedDns: users[0]!.network.ipam.state().gateway });
    if (rec.ResolvConfPath) await host.rewriteFile(rec.ResolvConfPath, resolv.text);
    const client: DnsClient = { networks: users.map((j) => j.name), ndotsSet: resolv.ndotsSet, ...(rec.HostConfig.Dns?.length ? { upstreams: resolv.upstreams } : {}) };
    for (const j of users) this.dnsClients.set(`${j.network.rec.network.Id}/${j.settings.IPAddress}`, client);
  }

  /** The first non-internal bridge network's endpoint carries the published ports, as dockerd's gateway endpoint. */
  private portEndpoint(rec: ContainerRecord): Joined | undefined {
    return this.joined(rec).find((j) => !j.network.rec.network.Internal);
  }

  private async publishPorts(c: Container): Promise<void> {
    const rec = c.rec;
    const ns = settingsOf(rec);
    const endpoint = this.portEndpoint(rec);
    if (!endpoint) return;
    const fail = (e: unknown): never => {
      throw new BerthError('internal', `driver failed programming external connectivity on endpoint ${rec.Name.slice(1)} (${endpoint.settings.EndpointID}): ${errorMessage(e)}`, { cause: e });
    };
    const mappings = await portMappings(rec, endpoint.settings.IPAddress!, this.ports).catch(fail);
    const entry: { mappings: PortMapping[]; handle?: PublishedPorts } = { mappings };
    this.published.set(c.id, entry);
    if (mappings.length) entry.handle = await this.nets.host!.publishPorts(c.id, mappings).catch(fail);
    ns.Ports = portsField(rec.Config.ExposedPorts, mappings);
  }

  /**
   * At exit (or after a failed start): addresses, ports and DNS names given back, the endpoint
   * fields cleared as dockerd clears them; the kernel removed the veths with the namespace.
   */
  async detach(c: Container, opts: { events?: boolean } = {}): Promise<void> {
    const rec = c.rec;
    if (opts.events !== false) {
      for (const [name, settings] of Object.entries(networksOf(rec))) {
        const network = (settings.NetworkID && this.nets.lookup(settings.NetworkID)) || this.nets.lookup(name);
        if (network) this.nets.publish('disconnect', network, c.id);
      }
    }
    const published = this.published.get(c.id);
    this.published.delete(c.id);
    if (published) {
      await published.handle?.close().catch((e: unknown) => this.log('warn', `closing the published ports of ${c.id}: ${errorMessage(e)}`));
      this.ports.release(published.mappings);
    }
    for (const j of this.joined(rec)) this.release(c, j);
    this.nets.serviceRecords.removeContainer(c.id);
    rec.BerthInterfaces = {};
    Object.assign(settingsOf(rec), {
      SandboxID: '', SandboxKey: '', Ports: {}, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '',
    });
  }

  private release(c: Container, j: Joined): void {
    j.network.ipam.release(j.settings.IPAddress!);
    this.dnsClients.delete(`${j.network.rec.network.Id}/${j.settings.IPAddress}`);
    Object.assign(j.settings, { EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: c.rec.BerthMacAddresses?.[j.name] ?? '', DNSNames: null });
    delete interfacesOf(c.rec)[j.network.rec.network.Id];
  }

  /** POST /networks/{id}/connect: a running container joins at once, a stopped one at its next start. */
  async connect(c: Container, term: string, config: EndpointSettings | null | undefined): Promise<void> {
    const network = this.nets.find(term);
    const { id, name } = this.nets.identity(network);
    const mode = c.rec.HostConfig.NetworkMode || 'default';
    if (mode === 'host' || network.kind === 'host') throw new BerthError('invalid_argument', HOST_NETWORK_CONFLICT);
    if (mode === 'none' || network.kind === 'none') throw new BerthError('invalid_argument', NONE_NETWORK_CONFLICT);
    if (mode.startsWith('container:')) throw new BerthError('invalid_argument', 'conflicting options: container type network can\'t be used with multiple networks');
    const networks = networksOf(c.rec);
    if (Object.values(networks).some((s) => s.NetworkID === id) || name in networks) {
      throw new BerthError('forbidden', `endpoint with name ${c.rec.Name.slice(1)} already exists in network ${name}`);
    }
    if (config?.Links?.length) throw new BerthError('invalid_argument', LINKS_UNSUPPORTED);
    this.checkEndpointConfig(network, config);
    const settings = emptyEndpoint(id, config);
    networks[name] = settings;
    if (!c.running || !c.task?.pid || !this.nets.host || isWasiPlatform(c.rec.Platform) || network.kind !== 'bridge') {
      if (c.running) this.nets.publish('connect', network, c.id);
      return;
    }
    this.nets.publish('connect', network, c.id);
    try {
      const hasRoute = this.joined(c.rec).some((j) => !j.network.rec.network.Internal);
      await this.join(c, c.task.pid, { network, name, settings }, !hasRoute && !network.rec.network.Internal);
    } catch (e) {
      delete networks[name];
      this.nets.publish('disconnect', network, c.id);
      throw e;
    }
    await this.rewriteFiles(c).catch((e: unknown) => this.log('warn', `rewriting the files of ${c.id}: ${errorMessage(e)}`));
  }

  /** POST /networks/{id}/disconnect. */
  async disconnect(c: Container, term: string): Promise<void> {
    const network = this.nets.find(term);
    const { id, name } = this.nets.identity(network);
    if (network.kind === 'host') throw new BerthError('invalid_argument', HOST_NETWORK_CONFLICT);
    const networks = networksOf(c.rec);
    const key = Object.keys(networks).find((k) => networks[k]!.NetworkID === id) ?? (name in networks ? name : undefined);
    if (key === undefined) throw new BerthError('forbidden', `container ${c.id} is not connected to network ${name}`);
    const settings = networks[key]!;
    if (c.running && settings.EndpointID && network.kind === 'bridge') {
      const j: Joined = { network, name: key, settings };
      const ifname = interfacesOf(c.rec)[id];
      const pid = c.task?.pid;
      if (pid && this.nets.host && ifname) {
        await this.nets.host.leave(pid, {
          network: bridgeSpec(network.rec), ifname, hostIfname: `veth${settings.EndpointID.slice(0, 7)}`,
          address: `${settings.IPAddress}/${settings.IPPrefixLen}`, macAddress: settings.MacAddress ?? '', defaultRoute: false,
        });
      }
      this.nets.serviceRecords.remove(c.id, key);
      this.release(c, j);
      if (this.nets.isDefaultBridge(network.rec)) {
        Object.assign(settingsOf(c.rec), { EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '' });
      }
    }
    delete networks[key];
    if (c.running) {
      this.nets.publish('disconnect', network, c.id);
      if (this.nets.host) await this.rewriteFiles(c).catch((e: unknown) => this.log('warn', `rewriting the files of ${c.id}: ${errorMessage(e)}`));
    }
  }

  /**
   * After a daemon restart, before the containers are reconnected: the running ones' addresses
   * held again (every other address is free: dockerd releases at exit), their DNS names and
   * clients registered, their ports published again.
   */
  async restore(all: readonly Container[]): Promise<void> {
    const held = new Map<string, string[]>();
    const running = all.filter((c) => c.rec.State.Running && !isWasiPlatform(c.rec.Platform));
    for (const c of running) {
      for (const j of this.joined(c.rec)) {
        const id = j.network.rec.network.Id;
        held.set(id, [...(held.get(id) ?? []), j.settings.IPAddress!]);
      }
    }
    this.nets.holdAddresses(held);
    if (!this.nets.host) return;
    for (const c of running) {
      for (const j of this.joined(c.rec)) {
        if (this.nets.isDefaultBridge(j.network.rec)) continue;
        this.nets.serviceRecords.add({ network: j.name, containerId: c.id, containerName: c.rec.Name.slice(1), aliases: j.settings.Aliases ?? [], ipv4: j.settings.IPAddress! });
      }
      try {
        await this.rewriteFiles(c);
        const endpoint = this.portEndpoint(c.rec);
        const mappings = endpoint ? mappingsOfPorts(settingsOf(c.rec).Ports as Record<string, PortBinding[] | null> | undefined, endpoint.settings.IPAddress!) : [];
        this.ports.reserve(mappings);
        const entry: { mappings: PortMapping[]; handle?: PublishedPorts } = { mappings };
        this.published.set(c.id, entry);
        if (mappings.length) entry.handle = await this.nets.host.publishPorts(c.id, mappings);
      } catch (e) {
        this.log('error', `restoring the networking of container ${c.id}: ${errorMessage(e)}`);
      }
    }
  }
}
