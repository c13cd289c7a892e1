// How dockerd's sandbox resolves a name (libnetwork Sandbox.ResolveName): `a.b.c` is tried as a
// name on each of the client's networks, then as `a.b` on network `c`, then as `a` on network
// `b.c`. The first network that knows the name answers alone.
import type { ServiceRecords } from './service-records.ts';

export interface NameMatch {
  network: string;
  addresses: string[];
}

/** Splits `a.b.c` into the (name, network) pairs to try, most specific name first. */
export function nameCandidates(name: string): { name: string; network?: string }[] {
  const candidates: { name: string; network?: string }[] = [{ name }];
  for (let i = name.lastIndexOf('.'); i > 0; i = name.lastIndexOf('.', i - 1)) {
    candidates.push({ name: name.slice(0, i), network: name.slice(i + 1) });
  }
  return candidates;
}

/**
 * The addresses of `name` (no trailing dot) as seen from a container on `networks` (in the order
 * it joined them), or undefined when no network of the container knows it. Search domains are not
 * stripped (dockerd does not either): resolv.conf's `ndots:0` makes clients ask the bare name first.
 */
export function resolveName(records: ServiceRecords, name: string, networks: readonly string[]): NameMatch | undefined {
  for (const candidate of nameCandidates(name)) {
    const scope = candidate.network === undefined
      ? networks
      : networks.filter((n) => n.toLowerCase() === candidate.network!.toLowerCase());
    for (const network of scope) {
      const addresses = records.addresses(candidate.name, network);
      if (addresses.length > 0) return { network, addresses };
    }
  }
  return undefined;
}
