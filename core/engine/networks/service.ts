// The network service (dockerd's libnetwork controller, bridge driver only): the predefined
// networks, user-defined bridge networks kept in the metadata store under `network/<id>`, their
// IPAM, and, through the host (when there is one), their bridges, isolation and DNS servers.
import { BerthError, errorMessage } from '../../errors.ts';
import type { MetadataStore } from '../../metadata/kv.ts';
import { AsyncMutex } from '../../metadata/async-mutex.ts';
import type { EventBus } from '../events.ts';
import { matchLabel, type Filters } from '../../api/query.ts';
import { generateId } from '../containers/names.ts';
import { untilMs } from '../containers/prune.ts';
import { NetworkIpam } from '../../network/ipam.ts';
import { formatPrefix, masked, parseIpv4Prefix } from '../../network/ipv4.ts';
import { ServiceRecords } from '../../network/dns/service-records.ts';
import type { DnsClient } from '../../network/dns/resolver.ts';
import type { EndpointSettings } from '../containers/types.ts';
import type { NetworkDnsServer, NetworkHost } from './host.ts';
import { PredefinedNetworks, type PredefinedName } from './predefined.ts';
import {
  DEFAULT_BRIDGE, bridgeSpec, checkCreateBody, networkTime, parseMtu,
  type NetworkContainer, type NetworkCreateBody, type NetworkJSON, type NetworkRecord,
} from './network.ts';

const PREFIX = 'network/';
const RECORD_KEY = /^network\/([0-9a-f]{64})$/;
const PREDEFINED: readonly PredefinedName[] = ['bridge', 'host', 'none'];
const LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];

/** A container's endpoint on a network, as the container service reports it. */
export interface AttachedEndpoint {
  containerId: string;
  /** Without the leading `/`. */
  containerName: string;
  endpoint: EndpointSettings;
}

export interface NetworkServiceOptions {
  store: MetadataStore;
  events: EventBus;
  predefined: PredefinedNetworks;
  /** The default `bridge` network's Linux bridge (berth0 unless the daemon is told another). */
  defaultBridge?: string;
  /** The default bridge's address and subnet (dockerd's `--bip`, `172.30.0.1/16`); else a free default pool subnet. */
  defaultBridgeIp?: string;
  /** The host that makes networks real; without one (the browser) only the predefined networks exist. */
  host?: NetworkHost;
  /** The host's /etc/resolv.conf nameservers, where embedded DNS servers send names they do not know. */
  upstreams?: () => readonly string[];
  now?: () => Date;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** A network found by a user's term: a bridge network's record, or `host` / `none`. */
export type FoundNetwork = { kind: 'bridge'; rec: NetworkRecord; ipam: NetworkIpam } | { kind: 'host' | 'none'; name: PredefinedName; id: string };

export class NetworkService {
  private readonly records = new Map<string, NetworkRecord>();
  private readonly ipams = new Map<string, NetworkIpam>();
  private readonly dnsServers = new Map<string, NetworkDnsServer>();
  readonly lock = new AsyncMutex();
  /** The names the embedded DNS servers answer (user-defined networks' endpoints). */
  readonly serviceRecords = new ServiceRecords();
  private readonly started: string;
  /** The endpoints (running containers') on a network, by network ID; the container service sets it. */
  attached: (networkId: string) => AttachedEndpoint[] = () => [];
  /** The DNS client a source address is (the container with that address); the container service sets it. */
  dnsClient: (networkId: string, address: string) => DnsClient | undefined = () => undefined;

  constructor(readonly opts: NetworkServiceOptions) {
    this.started = networkTime(this.now());
  }

  get host(): NetworkHost | undefined { return this.opts.host; }
  now(): Date { return (this.opts.now ?? (() => new Date()))(); }
  private log(level: 'info' | 'warn' | 'error', m: string): void { this.opts.log?.(level, m); }

  /** Reads the records and makes the default `bridge` network's when it has none (its subnet avoids the host's routes). */
  async load(): Promise<void> {
    for (const key of await this.opts.store.keys(PREFIX)) {
      if (!RECORD_KEY.test(key)) continue;
      const raw = await this.opts.store.get(key);
      if (!raw) continue;
      try {
        const rec = JSON.parse(new TextDecoder().decode(raw)) as NetworkRecord;
        if (rec.network?.Id !== key.slice(PREFIX.length) || typeof rec.network.Name !== 'string' || !rec.ipam) throw new Error('the record does not name its network');
        this.ipams.set(rec.network.Id, NetworkIpam.restore(rec.ipam, { name: rec.network.Name, id: rec.network.Id }));
        this.records.set(rec.network.Id, rec);
      } catch (e) {
        this.log('warn', `skipping network record ${key}: ${errorMessage(e)}`);
      }
    }
    const bridgeId = this.opts.predefined.id('bridge');
    const bridgeName = this.opts.defaultBridge ?? DEFAULT_BRIDGE;
    const bip = this.opts.defaultBridgeIp ? bipConfig(this.opts.defaultBridgeIp) : undefined;
    let kept = this.records.get(bridgeId);
    if (kept && bip && (kept.ipam.subnet !== bip.Subnet || kept.ipam.gateway !== bip.Gateway)) {
      // Another --bip: the network is made anew on it (dockerd does the same at start).
      this.records.delete(bridgeId);
      this.ipams.delete(bridgeId);
      kept = undefined;
    }
    if (kept && kept.bridge !== bridgeName) {
      // The daemon was told another bridge (--bridge): the network moves to it at bringUp.
      kept.bridge = bridgeName;
      kept.network.Options['com.docker.network.bridge.name'] = bridgeName;
      await this.persist(kept, this.ipams.get(bridgeId)!).catch((e: unknown) => this.log('warn', `cannot record the default bridge's name: ${errorMessage(e)}`));
    }
    if (!kept) {
      const others = [...this.records.values()].map((r) => r.ipam.subnet);
      // dockerd's 172.17.0.0/16 (the default pools' first) unless the host routes it already, or --bip's.
      const ipam = NetworkIpam.create({
        network: { name: 'bridge', id: bridgeId }, networkSubnets: others, ...(bip ? { config: bip } : { hostRoutes: this.host?.hostRoutes() ?? [] }),
      });
      const rec: NetworkRecord = {
        network: {
          Name: 'bridge', Id: bridgeId, Created: this.started, Scope: 'local', Driver: 'bridge', EnableIPv6: false,
          IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: ipam.state().subnet, Gateway: ipam.state().gateway }] },
          Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
          Options: {
            'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.enable_icc': 'true',
            'com.docker.network.bridge.enable_ip_masquerade': 'false', 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
            'com.docker.network.bridge.name': bridgeName, 'com.docker.network.driver.mtu': '1500',
          },
          Labels: {},
        },
        ipam: ipam.state(),
        bridge: bridgeName,
      };
      await this.persist(rec, ipam).catch((e: unknown) => this.log('warn', `cannot record the default bridge network: ${errorMessage(e)}`));
      this.records.set(bridgeId, rec);
      this.ipams.set(bridgeId, ipam);
    }
  }

  /**
   * Makes every network real on the host (bridges made or adopted, isolation, DNS servers).
   * A network the host cannot make is logged and left out; the daemon still starts.
   */
  async bringUp(): Promise<void> {
    const host = this.host;
    if (!host) return;
    for (const rec of this.records.values()) {
      await host.createNetwork(bridgeSpec(rec)).catch((e: unknown) => this.log('error', `cannot set up network ${rec.network.Name}: ${errorMessage(e)}`));
    }
    await this.isolate();
    for (const rec of this.records.values()) {
      if (!this.isDefaultBridge(rec)) await this.startDns(rec).catch((e: unknown) => this.log('error', `cannot start the DNS server of network ${rec.network.Name}: ${errorMessage(e)}`));
    }
  }

  /**
   * Daemon shutdown: the DNS servers closed, and the bridges (with their rules) of the networks no
   * running container uses removed; the others stay for the containers that outlive the daemon.
   * The records stay: the next start makes the bridges again.
   */
  async shutdown(): Promise<void> {
    for (const [id, s] of this.dnsServers) {
      this.dnsServers.delete(id);
      await s.close().catch(() => {});
    }
    const host = this.host;
    if (!host) return;
    for (const rec of this.records.values()) {
      if (this.attached(rec.network.Id).length > 0) continue;
      await host.removeNetwork(bridgeSpec(rec)).catch((e: unknown) => this.log('warn', `removing the bridge of network ${rec.network.Name}: ${errorMessage(e)}`));
    }
  }

  isDefaultBridge(rec: NetworkRecord): boolean {
    return rec.network.Id === this.opts.predefined.id('bridge');
  }

  private async isolate(): Promise<void> {
    await this.host?.isolate([...this.records.values()].map(bridgeSpec));
  }

  private async startDns(rec: NetworkRecord): Promise<void> {
    const host = this.host;
    if (!host || this.dnsServers.has(rec.network.Id)) return;
    const id = rec.network.Id;
    const server = await host.startDns(bridgeSpec(rec), {
      records: this.serviceRecords,
      client: (source) => this.dnsClient(id, source.address),
      upstreams: rec.network.Internal ? [] : (this.opts.upstreams?.() ?? []),
    });
    this.dnsServers.set(id, server);
  }

  private async persist(rec: NetworkRecord, ipam: NetworkIpam): Promise<void> {
    rec.ipam = ipam.state();
    await this.opts.store.put(PREFIX + rec.network.Id, new TextEncoder().encode(JSON.stringify(rec)));
  }

  /**
   * The addresses endpoints hold, as a restarted daemon finds them (the running containers'):
   * every other address of the network is free again.
   */
  holdAddresses(held: ReadonlyMap<string, readonly string[]>): void {
    for (const [id, ipam] of this.ipams) {
      const rec = this.records.get(id)!;
      this.ipams.set(id, NetworkIpam.restore({ ...ipam.state(), allocated: [...(held.get(id) ?? [])] }, { name: rec.network.Name, id }));
    }
  }

  predefinedId(name: PredefinedName): string {
    return this.opts.predefined.id(name);
  }

  /** dockerd's `network connect`/`disconnect` events. */
  publish(action: 'connect' | 'disconnect', network: FoundNetwork, containerId: string): void {
    const { id, name, driver } = this.identity(network);
    this.opts.events.publish('network', action, id, { container: containerId, name, type: driver });
  }

  identity(network: FoundNetwork): { id: string; name: string; driver: string } {
    if (network.kind === 'bridge') return { id: network.rec.network.Id, name: network.rec.network.Name, driver: 'bridge' };
    return { id: network.id, name: network.name, driver: network.kind === 'none' ? 'null' : 'host' };
  }

  /**
   * dockerd's FindNetwork: a full ID, then a name, then a unique ID prefix; `network X not found`
   * (404) otherwise.
   */
  find(term: string): FoundNetwork {
    const found = this.lookup(term);
    if (!found) throw new BerthError('not_found', `network ${term} not found`);
    return found;
  }

  lookup(term: string): FoundNetwork | undefined {
    const all = this.all();
    const byId = all.find((n) => this.identity(n).id === term);
    if (byId) return byId;
    const byName = all.filter((n) => this.identity(n).name === term);
    if (byName.length > 1) throw new BerthError('not_found', `network ${term} is ambiguous (${byName.length} matches found based on name)`);
    if (byName.length === 1) return byName[0];
    if (!term || !/^[0-9a-f]+$/.test(term)) return undefined;
    const byPrefix = all.filter((n) => this.identity(n).id.startsWith(term));
    if (byPrefix.length > 1) throw new BerthError('not_found', `network ${term} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    return byPrefix[0];
  }

  private all(): FoundNetwork[] {
    const out: FoundNetwork[] = [];
    for (const rec of this.records.values()) out.push({ kind: 'bridge', rec, ipam: this.ipams.get(rec.network.Id)! });
    out.push({ kind: 'host', name: 'host', id: this.opts.predefined.id('host') }, { kind: 'none', name: 'none', id: this.opts.predefined.id('none') });
    return out;
  }

  /** The JSON of GET /networks/{id}; Containers lists the running containers' endpoints. */
  view(network: FoundNetwork): NetworkJSON {
    if (network.kind !== 'bridge') {
      return {
        Name: network.name, Id: network.id, Created: this.started, Scope: 'local', Driver: network.kind === 'none' ? 'null' : 'host',
        EnableIPv6: false, IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
        ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: this.containersOf(network.id), Options: {}, Labels: {},
      };
    }
    const n = network.rec.network;
    const { Options, Labels, ...head } = n;
    // dockerd's field order: Containers before Options and Labels.
    return { ...structuredClone(head), Containers: this.containersOf(n.Id), Options: { ...Options }, Labels: { ...Labels } };
  }

  private containersOf(networkId: string): Record<string, NetworkContainer> {
    const out: Record<string, NetworkContainer> = {};
    for (const a of this.attached(networkId)) {
      const e = a.endpoint;
      out[a.containerId] = {
        Name: a.containerName, EndpointID: e.EndpointID ?? '', MacAddress: e.MacAddress ?? '',
        IPv4Address: e.IPAddress ? `${e.IPAddress}/${e.IPPrefixLen ?? 0}` : '', IPv6Address: '',
      };
    }
    return out;
  }

  inspect(term: string): NetworkJSON {
    return this.view(this.find(term));
  }

  /** GET /networks with dockerd's filters. */
  list(filters: Filters): NetworkJSON[] {
    for (const k of filters.keys()) if (!LIST_FILTERS.includes(k)) throw new BerthError('invalid_argument', `Invalid filter '${k}'`);
    for (const t of filters.get('type') ?? []) {
      if (t !== 'custom' && t !== 'builtin') throw new BerthError('invalid_argument', `invalid filter: 'type'='${t}'`);
    }
    const dangling = filters.get('dangling');
    let wantDangling: boolean | undefined;
    if (dangling?.length) {
      const v = dangling[0]!.toLowerCase();
      if (!['true', 'false', '1', '0'].includes(v)) throw new BerthError('invalid_argument', `invalid filter 'dangling=${dangling[0]}'`);
      wantDangling = v === 'true' || v === '1';
    }
    const match = (values: string[] | undefined, s: string) => !values?.length || values.some((v) => regexpMatch(v, s));
    return this.all().map((n) => this.view(n)).filter((n) => {
      const builtin = PREDEFINED.includes(n.Name as PredefinedName) && this.isPredefinedId(n.Id);
      if (!match(filters.get('name'), n.Name) || !match(filters.get('id'), n.Id)) return false;
      const drivers = filters.get('driver');
      if (drivers?.length && !drivers.includes(n.Driver)) return false;
      const scopes = filters.get('scope');
      if (scopes?.length && !scopes.includes(n.Scope)) return false;
      const types = filters.get('type');
      if (types?.length && !types.includes(builtin ? 'builtin' : 'custom')) return false;
      const labels = filters.get('label');
      if (labels?.length && !labels.every((l) => matchLabel(n.Labels, l))) return false;
      // dockerd: dangling networks are the custom ones without endpoints.
      if (wantDangling !== undefined && (!builtin && Object.keys(n.Containers).length === 0) !== wantDangling) return false;
      return true;
    });
  }

  private isPredefinedId(id: string): boolean {
    return PREDEFINED.some((p) => this.opts.predefined.id(p) === id);
  }

  /** POST /networks/create: 201 `{Id, Warning}`. */
  create(body: NetworkCreateBody): Promise<{ Id: string; Warning: string }> {
    return this.lock.run(async () => {
      checkCreateBody(body);
      const name = body.Name!;
      if ((PREDEFINED as string[]).includes(name)) throw new BerthError('forbidden', `operation is not permitted on predefined ${name} network`);
      const driver = body.Driver || 'bridge';
      if (driver === 'host' || driver === 'null') throw new BerthError('forbidden', `only one instance of "${driver}" network is allowed`);
      if (driver !== 'bridge') throw new BerthError('not_found', `plugin "${driver}" not found`);
      if ([...this.records.values()].some((r) => r.network.Name === name)) throw new BerthError('conflict', `network with name ${name} already exists`);
      const ipamDriver = body.IPAM?.Driver || 'default';
      if (ipamDriver !== 'default') throw new BerthError('not_found', `plugin "${ipamDriver}" not found`);
      if (body.EnableIPv6) throw new BerthError('invalid_argument', 'berth networks are IPv4-only: --ipv6 is not supported');
      if (body.Ingress) throw new BerthError('forbidden', 'ingress networks need swarm mode, which berth does not have');
      if (body.ConfigOnly || body.ConfigFrom?.Network) throw new BerthError('invalid_argument', 'config-only networks (--config-only, --config-from) are not supported');
      if (!this.host) throw new BerthError('unsupported', `cannot create network ${name}: user-defined networks need the Linux host (berthd); here containers have the predefined networks only`);
      const configs = (body.IPAM?.Config ?? []).filter((c) => !(c.Subnet ?? '').includes(':'));
      if (configs.length > 1) throw new BerthError('invalid_argument', 'berth networks take one IPv4 subnet: give --subnet once');
      const options = { ...(body.Options ?? {}) };
      parseMtu(options);
      const id = generateId();
      const ipam = NetworkIpam.create({
        network: { name, id }, ...(configs[0] ? { config: configs[0] } : {}),
        networkSubnets: [...this.records.values()].map((r) => r.ipam.subnet), hostRoutes: this.host.hostRoutes(),
      });
      const state = ipam.state();
      const rec: NetworkRecord = {
        network: {
          Name: name, Id: id, Created: networkTime(this.now()), Scope: 'local', Driver: 'bridge', EnableIPv6: false,
          IPAM: {
            Driver: 'default', Options: body.IPAM?.Options ?? {},
            Config: [{ Subnet: state.subnet, ...(state.ipRange ? { IPRange: state.ipRange } : {}), Gateway: state.gateway }],
          },
          Internal: !!body.Internal, Attachable: !!body.Attachable, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
          Options: options, Labels: { ...(body.Labels ?? {}) },
        },
        ipam: state,
        bridge: `br-${id.slice(0, 12)}`,
      };
      const spec = bridgeSpec(rec);
      await this.host.createNetwork(spec).catch((e: unknown) => {
        throw new BerthError('internal', `failed to create network ${name}: ${errorMessage(e)}`, { cause: e });
      });
      try {
        await this.persist(rec, ipam);
        this.records.set(id, rec);
        this.ipams.set(id, ipam);
        await this.isolate();
        await this.startDns(rec);
      } catch (e) {
        // Nothing half-made: the record, the bridge and the rules go again.
        this.records.delete(id);
        this.ipams.delete(id);
        await this.opts.store.delete(PREFIX + id).catch(() => {});
        await this.host.removeNetwork(spec).catch(() => {});
        await this.isolate().catch(() => {});
        throw e;
      }
      this.opts.events.publish('network', 'create', id, { name, type: 'bridge' });
      return { Id: id, Warning: '' };
    });
  }

  /** DELETE /networks/{id}. */
  remove(term: string): Promise<void> {
    return this.lock.run(async () => {
      const network = this.find(term);
      await this.removeLocked(network);
    });
  }

  private async removeLocked(network: FoundNetwork): Promise<void> {
    const { id, name } = this.identity(network);
    if (network.kind !== 'bridge' || this.isDefaultBridge(network.rec)) {
      throw new BerthError('forbidden', `${name} is a pre-defined network and cannot be removed`);
    }
    if (this.attached(id).length > 0) {
      throw new BerthError('forbidden', `error while removing network: network ${name} id ${id} has active endpoints`);
    }
    const rec = network.rec;
    // The record goes first: a crash in between leaves a stray bridge, which the host removes, never a record without a bridge.
    await this.opts.store.delete(PREFIX + id);
    this.records.delete(id);
    this.ipams.delete(id);
    const dns = this.dnsServers.get(id);
    this.dnsServers.delete(id);
    await dns?.close().catch(() => {});
    this.serviceRecords.removeNetwork(name);
    await this.host?.removeNetwork(bridgeSpec(rec)).catch((e: unknown) => this.log('warn', `removing the bridge of network ${name}: ${errorMessage(e)}`));
    await this.isolate().catch((e: unknown) => this.log('warn', `updating the isolation rules: ${errorMessage(e)}`));
    this.opts.events.publish('network', 'destroy', id, { name, type: 'bridge' });
  }

  /** POST /networks/prune: the custom networks without endpoints (`until`, `label`, `label!`). */
  prune(filters: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    for (const k of filters.keys()) if (!['until', 'label', 'label!'].includes(k)) throw new BerthError('invalid_argument', `Invalid filter '${k}'`);
    const until = filters.get('until')?.[0];
    const cutoff = until === undefined ? undefined : untilMs(until, this.now().getTime());
    return this.lock.run(async () => {
      const deleted: string[] = [];
      for (const rec of [...this.records.values()]) {
        if (this.isDefaultBridge(rec) || this.attached(rec.network.Id).length > 0) continue;
        const n = rec.network;
        if (cutoff !== undefined && Date.parse(n.Created) >= cutoff) continue;
        if (!(filters.get('label') ?? []).every((l) => matchLabel(n.Labels, l))) continue;
        if ((filters.get('label!') ?? []).some((l) => matchLabel(n.Labels, l))) continue;
        await this.removeLocked({ kind: 'bridge', rec, ipam: this.ipams.get(n.Id)! });
        deleted.push(n.Name);
      }
      this.opts.events.publish('network', 'prune', '', {});
      return { NetworksDeleted: deleted.length ? deleted : null };
    });
  }
}

/** dockerd's filters.Match: the value as an unanchored regular expression (a bad one matches as a substring). */
function regexpMatch(pattern: string, s: string): boolean {
  try { return new RegExp(pattern).test(s); } catch { return s.includes(pattern); }
}

/** `--bip 172.30.0.1/16`: the bridge's address is the gateway, its subnet the network's. */
function bipConfig(bip: string): { Subnet: string; Gateway: string } {
  const prefix = parseIpv4Prefix(bip);
  if (!prefix) throw new BerthError('invalid_argument', `invalid bip ${JSON.stringify(bip)}: expected the bridge's IPv4 address with its prefix length, e.g. 172.30.0.1/16`);
  return { Subnet: formatPrefix(masked(prefix)), Gateway: bip.slice(0, bip.indexOf('/')) };
}
