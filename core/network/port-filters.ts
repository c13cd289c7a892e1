// `GET /containers/json`'s `publish` and `expose` filters as dockerd reads them: `80`, `80/udp`,
// `8000-8080/tcp` (no host part), matched against the ports a container publishes
// (HostConfig.PortBindings) or exposes (Config.ExposedPorts).
import { BerthError } from '../errors.ts';
import type { ContainerConfig, HostConfig } from '../engine/containers/types.ts';

/** strconv.ParseUint(text, 10, 16)'s error text, or undefined when `text` is a port number. */
export function portNumberError(text: string): string | undefined {
  if (!/^\d+$/.test(text)) return `strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`;
  return Number(text) > 65535 ? `strconv.ParseUint: parsing ${JSON.stringify(text)}: value out of range` : undefined;
}

/** nat.ParsePortRange's error for `ports`, or its range. */
function parseFilterRange(ports: string): { begin: number; end: number } | string {
  if (ports === '') return 'empty string specified for ports';
  const [first = '', last = first] = ports.split('-');
  const why = portNumberError(first) ?? portNumberError(last);
  if (why) return why;
  const begin = Number(first);
  const end = Number(last);
  return end < begin ? `invalid range specified for port: ${ports}` : { begin, end };
}

/** The `port/proto` keys a filter's values name; dockerd's errors for bad ones. */
export function portFilterKeys(key: 'publish' | 'expose', values: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const value of values) {
    if (value.includes(':')) throw new BerthError('invalid_argument', `filter for '${key}' should not contain ':': ${value}`);
    const slash = value.indexOf('/');
    const port = slash < 0 ? value : value.slice(0, slash);
    const proto = slash < 0 ? 'tcp' : value.slice(slash + 1);
    const range = parseFilterRange(port);
    if (typeof range === 'string') throw new BerthError('invalid_argument', `error while looking up for ${key} ${value}: ${range}`);
    for (let p = range.begin; p <= range.end; p++) keys.add(`${p}/${proto}`);
  }
  return keys;
}

/** Whether a container publishes (or exposes) one of `wanted`; no filter matches every container. */
export function matchesPortFilter(
  key: 'publish' | 'expose',
  wanted: ReadonlySet<string> | undefined,
  rec: { Config: Pick<ContainerConfig, 'ExposedPorts'>; HostConfig: Pick<HostConfig, 'PortBindings'> },
): boolean {
  if (!wanted?.size) return true;
  const ports = key === 'publish' ? rec.HostConfig.PortBindings : rec.Config.ExposedPorts;
  return Object.keys(ports ?? {}).some((p) => wanted.has(p.includes('/') ? p : `${p}/tcp`));
}
