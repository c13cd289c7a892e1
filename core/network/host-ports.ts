// Host ports held by published container ports, as dockerd's portallocator keeps them: in memory,
// per protocol and host address, explicit ports refused while berth holds them, `-p 80` / `-P`
// served from the ephemeral range. The host's own sockets are another matter: a candidate
// ephemeral port is kept only when the host can bind it (the probe), so a port some other
// process listens on is skipped rather than failing the container's start.
import { BerthError } from '../errors.ts';
import type { PortMapping } from '../engine/networks/host.ts';

export type PortProtocol = PortMapping['protocol'];

/** dockerd's default ephemeral range (the kernel's default `net.ipv4.ip_local_port_range`). */
export const EPHEMERAL_PORTS: Readonly<{ begin: number; end: number }> = { begin: 32768, end: 60999 };

export const ALL_PORTS_ALLOCATED = 'all ports are allocated';

/** The host side of allocation: whether a port can be bound right now. */
export interface HostPortProbe {
  /** Binds `hostIp:port` for `protocol` and lets it go; false when the address is in use. */
  isFree(protocol: PortProtocol, hostIp: string, port: number): Promise<boolean>;
}

/** Go's net.JoinHostPort: `0.0.0.0:8080`, `[::]:8080`. */
export function joinHostPort(ip: string, port: number | string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** dockerd's ErrPortAlreadyAllocated: `Bind for 0.0.0.0:8080 failed: port is already allocated`. */
export function portAlreadyAllocated(hostIp: string, port: number | string): BerthError {
  // dockerd answers 500 (a system error of the endpoint's driver), not a 409 conflict.
  return new BerthError('conflict', `Bind for ${joinHostPort(hostIp, port)} failed: port is already allocated`, { status: 500 });
}

const isUnspecified = (ip: string) => ip === '0.0.0.0' || ip === '::';
const family = (ip: string) => (ip.includes(':') ? 6 : 4);

export class HostPortAllocator {
  readonly #probe: HostPortProbe | undefined;
  readonly #range: { begin: number; end: number };
  /** `proto/port` → host addresses holding it. */
  readonly #held = new Map<string, Set<string>>();
  /** Where the last search of each (protocol, range) stopped: the next one starts after it, as dockerd's. */
  readonly #last = new Map<string, number>();

  constructor(probe?: HostPortProbe, range: { begin: number; end: number } = EPHEMERAL_PORTS) {
    this.#probe = probe;
    this.#range = { ...range };
  }

  /** Whether berth holds `port` on an address that overlaps `hostIp` (the unspecified address overlaps its whole family). */
  isHeld(protocol: PortProtocol, hostIp: string, port: number): boolean {
    const holders = this.#held.get(`${protocol}/${port}`);
    if (!holders) return false;
    for (const ip of holders) {
      if (ip === hostIp) return true;
      if (family(ip) === family(hostIp) && (isUnspecified(ip) || isUnspecified(hostIp))) return true;
    }
    return false;
  }

  /**
   * A host port for `protocol` on `hostIp`: `begin` itself when `begin === end` (an explicit
   * port, refused while berth holds it), else the next free one of `begin`–`end` (0–0: the
   * ephemeral range) that the host can bind. The port is held until `release`.
   */
  async request(protocol: PortProtocol, hostIp: string, begin = 0, end = begin): Promise<number> {
    if (begin !== 0 && begin === end) {
      if (this.isHeld(protocol, hostIp, begin)) throw portAlreadyAllocated(hostIp, begin);
      this.#hold(protocol, hostIp, begin);
      return begin;
    }
    const range = begin === 0 && end === 0 ? this.#range : { begin, end };
    const key = `${protocol}/${range.begin}-${range.end}`;
    const size = range.end - range.begin + 1;
    let last = this.#last.get(key) ?? range.end;
    for (let i = 0; i < size; i++) {
      last = last >= range.end ? range.begin : last + 1;
      if (this.isHeld(protocol, hostIp, last)) continue;
      // Held while probing so a concurrent request cannot pick it too.
      this.#hold(protocol, hostIp, last);
      if (!this.#probe || await this.#probe.isFree(protocol, hostIp, last)) {
        this.#last.set(key, last);
        return last;
      }
      this.#unhold(protocol, hostIp, last);
    }
    this.#last.set(key, last);
    throw new BerthError('conflict', ALL_PORTS_ALLOCATED, { status: 500 });
  }

  /** Marks ports as held without checks: the mappings of containers still running after a daemon restart. */
  reserve(mappings: readonly PortMapping[]): void {
    for (const m of mappings) this.#hold(m.protocol, m.hostIp, m.hostPort);
  }

  /** Frees the host ports of `mappings`; ports not held are ignored. */
  release(mappings: readonly PortMapping[]): void {
    for (const m of mappings) this.#unhold(m.protocol, m.hostIp, m.hostPort);
  }

  #hold(protocol: PortProtocol, hostIp: string, port: number): void {
    const k = `${protocol}/${port}`;
    let holders = this.#held.get(k);
    if (!holders) this.#held.set(k, holders = new Set());
    holders.add(hostIp);
  }

  #unhold(protocol: PortProtocol, hostIp: string, port: number): void {
    const k = `${protocol}/${port}`;
    const holders = this.#held.get(k);
    if (!holders) return;
    holders.delete(hostIp);
    if (holders.size === 0) this.#held.delete(k);
  }
}
