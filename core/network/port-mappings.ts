// A container's published ports as dockerd makes them at start: `HostConfig.PortBindings` (what
// `-p` sent, one key per container port) plus, with `-P`, every exposed port that has no binding,
// each binding turned into a `PortMapping` with its host port chosen (`-p 80` and `-P` take an
// ephemeral one); and the two views of them the API shows, inspect's `NetworkSettings.Ports`
// and the `Ports` list of `GET /containers/json`.
import { BerthError } from '../errors.ts';
import type { ContainerConfig, HostConfig, PortBinding } from '../engine/containers/types.ts';
import type { PortMapping } from '../engine/networks/host.ts';
import type { HostPortAllocator, PortProtocol } from './host-ports.ts';

/** The parts of a container record that say what it publishes. */
export interface PublishingConfig {
  Config: Pick<ContainerConfig, 'ExposedPorts'>;
  HostConfig: Pick<HostConfig, 'PortBindings' | 'PublishAllPorts'>;
}

/** One entry of `GET /containers/json`'s `Ports`. */
export interface PortSummary { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }

interface PortRange { begin: number; end: number }

const PROTOCOLS: ReadonlySet<string> = new Set(['tcp', 'udp', 'sctp']);

function invalidSpec(text: string): BerthError {
  return new BerthError('invalid_argument', `invalid port specification: ${JSON.stringify(text)}`);
}

/** `80`, `8000-8010`; '' is 0–0 (no port given). */
function parseRange(text: string): PortRange | undefined {
  if (text === '') return { begin: 0, end: 0 };
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const begin = Number(m[1]);
  const end = m[2] === undefined ? begin : Number(m[2]);
  return end > 65535 || end < begin ? undefined : { begin, end };
}

/** A port key (`80/tcp`, `53/udp`, `8000-8001/tcp`, `80`) as a range and protocol. */
function parsePortKey(key: string): { range: PortRange; protocol: PortProtocol } {
  const slash = key.indexOf('/');
  const port = slash < 0 ? key : key.slice(0, slash);
  const protocol = (slash < 0 ? 'tcp' : key.slice(slash + 1).toLowerCase()) || 'tcp';
  const range = parseRange(port);
  if (!range || range.begin === 0 || !PROTOCOLS.has(protocol)) throw invalidSpec(port);
  return { range, protocol: protocol as PortProtocol };
}

/** The container ports a record exposes or binds, as `port/proto` keys, one per port. */
function exposedKeys(exposed: Record<string, unknown> | null | undefined): string[] {
  const keys: string[] = [];
  for (const key of Object.keys(exposed ?? {})) {
    const { range, protocol } = parsePortKey(key);
    for (let p = range.begin; p <= range.end; p++) keys.push(`${p}/${protocol}`);
  }
  return keys;
}

/** Numeric port order, then protocol: the order mappings are made and listed in. */
function compareKeys(a: string, b: string): number {
  const [pa, ta = ''] = a.split('/');
  const [pb, tb = ''] = b.split('/');
  return Number(pa) - Number(pb) || compareText(ta, tb);
}

/** Every binding to make, per container port: PortBindings, plus `-P`'s for exposed ports without one. */
function bindingsToMake(container: PublishingConfig): Array<{ key: string; binding: PortBinding }> {
  const out: Array<{ key: string; binding: PortBinding }> = [];
  const bound = new Set<string>();
  for (const [key, bindings] of Object.entries(container.HostConfig.PortBindings ?? {})) {
    const { range, protocol } = parsePortKey(key);
    for (const binding of bindings ?? []) {
      const host = parseRange(binding.HostPort ?? '');
      if (!host) throw invalidSpec(binding.HostPort ?? '');
      const count = range.end - range.begin;
      // A host range for one container port is where its host port is picked from; for a
      // container range it must be as long, port for port.
      if (count > 0 && host.begin !== 0 && host.end - host.begin !== count) throw invalidSpec(binding.HostPort ?? '');
      for (let i = 0; i <= count; i++) {
        const hostPort = host.begin === 0 ? '' : count > 0 ? String(host.begin + i)
          : host.begin === host.end ? String(host.begin) : `${host.begin}-${host.end}`;
        const k = `${range.begin + i}/${protocol}`;
        bound.add(k);
        out.push({ key: k, binding: { HostIp: binding.HostIp ?? '', HostPort: hostPort } });
      }
    }
  }
  if (container.HostConfig.PublishAllPorts) {
    for (const key of exposedKeys(container.Config.ExposedPorts)) {
      if (!bound.has(key)) {
        bound.add(key);
        out.push({ key, binding: { HostIp: '', HostPort: '' } });
      }
    }
  }
  // Stable sort: one port's bindings keep the order they were given in.
  return out.sort((a, b) => compareKeys(a.key, b.key));
}

/**
 * The port mappings dockerd would make for `container` at `containerIp`: bindings expanded per
 * port, an empty HostIp as `0.0.0.0`, host ports from `allocator` (held there until released).
 * All or nothing: on an error the ports taken so far are released.
 */
export async function portMappings(container: PublishingConfig, containerIp: string, allocator: HostPortAllocator): Promise<PortMapping[]> {
  const mappings: PortMapping[] = [];
  try {
    for (const { key, binding } of bindingsToMake(container)) {
      const [port, protocol] = key.split('/') as [string, PortProtocol];
      const hostIp = binding.HostIp || '0.0.0.0';
      const host = parseRange(binding.HostPort ?? '')!;
      const hostPort = await allocator.request(protocol, hostIp, host.begin, host.end);
      mappings.push({ protocol, hostIp, hostPort, containerIp, containerPort: Number(port) });
    }
  } catch (e) {
    allocator.release(mappings);
    throw e;
  }
  return mappings;
}

/**
 * Inspect's `NetworkSettings.Ports` of a running container: every exposed or published port,
 * its host bindings or null, keys in the byte order Go's encoding/json writes a map in.
 */
export function portsField(exposed: Record<string, unknown> | null | undefined, mappings: readonly PortMapping[]): Record<string, PortBinding[] | null> {
  const ports = new Map<string, PortBinding[] | null>();
  for (const key of exposedKeys(exposed)) ports.set(key, null);
  for (const m of mappings) {
    const key = `${m.containerPort}/${m.protocol}`;
    const list = ports.get(key) ?? [];
    list.push({ HostIp: m.hostIp, HostPort: String(m.hostPort) });
    ports.set(key, list);
  }
  const out: Record<string, PortBinding[] | null> = {};
  for (const key of [...ports.keys()].sort()) out[key] = ports.get(key)!;
  return out;
}

/** portsField's inverse: the mappings a Ports field records (a running container's, taken over by a restarted daemon). */
export function mappingsOfPorts(ports: Record<string, PortBinding[] | null> | undefined, containerIp: string): PortMapping[] {
  const out: PortMapping[] = [];
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [port, protocol] = key.split('/') as [string, PortMapping['protocol']];
    for (const b of bindings ?? []) {
      out.push({ protocol, hostIp: b.HostIp || '0.0.0.0', hostPort: Number(b.HostPort), containerIp, containerPort: Number(port) });
    }
  }
  return out;
}

/**
 * `GET /containers/json`'s `Ports` from `NetworkSettings.Ports`: an entry per binding, or one
 * without IP and PublicPort for an unpublished port. dockerd lists them in its map's random
 * order; here in the order docker's CLI sorts them (private port, IP, public port, type).
 */
export function portSummaries(ports: Record<string, PortBinding[] | null> | null | undefined): PortSummary[] {
  const out: PortSummary[] = [];
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const { range, protocol } = parsePortKey(key);
    if (!bindings?.length) {
      out.push({ PrivatePort: range.begin, Type: protocol });
      continue;
    }
    for (const b of bindings) {
      // Go's omitempty: no IP key for a binding without one.
      out.push({ ...(b.HostIp ? { IP: b.HostIp } : {}), PrivatePort: range.begin, PublicPort: Number(b.HostPort ?? 0), Type: protocol });
    }
  }
  return out.sort(comparePortSummaries);
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** docker's CLI order of port summaries (formatter's comparePorts): private port, IP, public port, type. */
export function comparePortSummaries(a: PortSummary, b: PortSummary): number {
  return a.PrivatePort - b.PrivatePort || compareText(a.IP ?? '', b.IP ?? '')
    || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || compareText(a.Type, b.Type);
}
