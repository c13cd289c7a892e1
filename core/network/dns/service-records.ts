// The names the embedded DNS server knows: one record per endpoint (a container attached to a
// user-defined network), answering to the container's name, its short ID and its aliases. The
// default bridge has no records: as with dockerd, containers there do not resolve each other.

export interface DnsEndpoint {
  /** The network's name (`web.mynet` resolves `web` in network `mynet`). */
  network: string;
  containerId: string;
  /** Without Docker's leading `/`. */
  containerName: string;
  /** `--network-alias` / `--alias` names. */
  aliases?: readonly string[];
  ipv4: string;
}

const SHORT_ID_LENGTH = 12;

/** The names an endpoint answers to, lower-cased (DNS names are case-insensitive). */
export function endpointNames(endpoint: DnsEndpoint): string[] {
  const names = [endpoint.containerName, endpoint.containerId.slice(0, SHORT_ID_LENGTH), ...(endpoint.aliases ?? [])];
  return [...new Set(names.filter((n) => n !== '').map((n) => n.toLowerCase()))];
}

export class ServiceRecords {
  /** Endpoints in the order they joined, per network: the order answers list their addresses in. */
  readonly #byNetwork = new Map<string, DnsEndpoint[]>();
  /** Per network, name -> endpoints answering to it (in joining order): queries outnumber changes. */
  readonly #index = new Map<string, Map<string, DnsEndpoint[]>>();

  /** Adds an endpoint, replacing the container's earlier one on that network (a reconnect). */
  add(endpoint: DnsEndpoint): void {
    const list = (this.#byNetwork.get(endpoint.network) ?? []).filter((e) => e.containerId !== endpoint.containerId);
    list.push({ ...endpoint, aliases: [...(endpoint.aliases ?? [])] });
    this.#byNetwork.set(endpoint.network, list);
    this.#reindex(endpoint.network);
  }

  /** Drops a container's endpoint on one network (disconnect). */
  remove(containerId: string, network: string): void {
    const list = this.#byNetwork.get(network);
    if (!list) return;
    const rest = list.filter((e) => e.containerId !== containerId);
    // Not on this network: nothing to reindex (removeContainer asks every network).
    if (rest.length === list.length) return;
    if (rest.length > 0) this.#byNetwork.set(network, rest);
    else this.#byNetwork.delete(network);
    this.#reindex(network);
  }

  /** Drops a container's endpoints on every network (container removal). */
  removeContainer(containerId: string): void {
    for (const network of [...this.#byNetwork.keys()]) this.remove(containerId, network);
  }

  /** Drops a network's records (network removal). */
  removeNetwork(network: string): void {
    this.#byNetwork.delete(network);
    this.#index.delete(network);
  }

  endpoints(network: string): readonly DnsEndpoint[] {
    return this.#byNetwork.get(network) ?? [];
  }

  /** The IPv4 addresses `name` has on `network` (empty when it has none). */
  addresses(name: string, network: string): string[] {
    return (this.#index.get(network)?.get(name.toLowerCase()) ?? []).map((e) => e.ipv4);
  }

  #reindex(network: string): void {
    const list = this.#byNetwork.get(network);
    if (!list) {
      this.#index.delete(network);
      return;
    }
    const names = new Map<string, DnsEndpoint[]>();
    for (const endpoint of list) {
      for (const name of endpointNames(endpoint)) {
        const same = names.get(name);
        if (same) same.push(endpoint);
        else names.set(name, [endpoint]);
      }
    }
    this.#index.set(network, names);
  }

  /** `container.network` for an endpoint's address on `network`, as dockerd answers PTR queries. */
  reverse(ipv4: string, network: string): string | undefined {
    const endpoint = this.endpoints(network).find((e) => e.ipv4 === ipv4);
    return endpoint ? `${endpoint.containerName}.${network}` : undefined;
  }
}
