// The network model as dockerd's libnetwork shows it (GET /networks/{id}): the record berth keeps
// per bridge network (the JSON without Containers, plus its IPAM state and its Linux bridge), and
// the create body's checks with dockerd's texts.
import { BerthError } from '../../errors.ts';
import type { IpamConfig } from '../../network/ipam-config.ts';
import type { IpamState } from '../../network/ipam.ts';
import type { BridgeNetworkSpec } from './host.ts';

export const MTU_OPTION = 'com.docker.network.driver.mtu';
export const DEFAULT_BRIDGE = 'berth0';

/** One attached endpoint as a network's `Containers` shows it. */
export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  /** CIDR: `172.18.0.2/16`. */
  IPv4Address: string;
  IPv6Address: string;
}

/** GET /networks/{id} (dockerd 20.10's field order). */
export interface NetworkJSON {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, NetworkContainer>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** What the metadata store keeps under `network/<id>`: a bridge network. */
export interface NetworkRecord {
  network: Omit<NetworkJSON, 'Containers'>;
  ipam: IpamState;
  /** The Linux bridge's name. */
  bridge: string;
}

/** POST /networks/create's body as the docker CLI sends it. */
export interface NetworkCreateBody {
  Name?: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Options?: Record<string, string> | null; Config?: IpamConfig[] | null } | null;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** dockerd's Created: RFC 3339 with nanoseconds. */
export function networkTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** The MTU `-o com.docker.network.driver.mtu=N` asks for (0: the kernel's default), with dockerd's text. */
export function parseMtu(options: Record<string, string> | null | undefined): number {
  const raw = options?.[MTU_OPTION];
  if (raw === undefined || raw === '') return 0;
  if (!/^[+-]?\d+$/.test(raw)) {
    throw new BerthError('invalid_argument', `failed to parse ${MTU_OPTION} value: ${raw} (strconv.Atoi: parsing "${raw}": invalid syntax)`);
  }
  const mtu = Number(raw);
  // The kernel refuses an IPv4 interface below 68 bytes; a bridge above 65535 does not exist.
  if (mtu < 68 || mtu > 65535) throw new BerthError('invalid_argument', `invalid MTU number: ${raw}: it must be between 68 and 65535`);
  return mtu;
}

/** The driver's checks of a create body that the record does not need the IPAM for. */
export function checkCreateBody(body: NetworkCreateBody): void {
  const bad = (field: string, what: string) => new BerthError('invalid_argument', `invalid network create request: ${field} must be ${what}`);
  if (typeof body.Name !== 'string' || body.Name === '') throw new BerthError('invalid_argument', 'invalid network create request: Name must be a non-empty string');
  if (body.Driver !== undefined && body.Driver !== null && typeof body.Driver !== 'string') throw bad('Driver', 'a string');
  for (const f of ['Options', 'Labels'] as const) {
    const v = body[f];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))) {
      throw bad(f, 'an object of strings');
    }
  }
  if (body.IPAM?.Config !== undefined && body.IPAM.Config !== null && !Array.isArray(body.IPAM.Config)) throw bad('IPAM.Config', 'an array');
}

/** The host's view of a bridge network record. */
export function bridgeSpec(rec: NetworkRecord): BridgeNetworkSpec {
  return {
    id: rec.network.Id, name: rec.network.Name, bridge: rec.bridge, subnet: rec.ipam.subnet, gateway: rec.ipam.gateway,
    internal: rec.network.Internal, mtu: parseMtu(rec.network.Options),
  };
}

/** dockerd's MAC for an IPv4 endpoint: 02:42 and the address's four bytes. */
export function macAddressOf(ipv4: string): string {
  return ['02', '42', ...ipv4.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}
