// `-p/--publish` and `--expose` as docker's go-connections/nat parses them: exposed ports
// (`80/tcp`) and port bindings, with its error texts (`invalid hostPort: 99999`).

export interface PortBinding { HostIp: string; HostPort: string }

function parsePortRange(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) return undefined;
  return [start, end];
}

function splitProto(raw: string): [string, string] {
  const i = raw.lastIndexOf('/');
  if (i < 0) return [raw, 'tcp'];
  if (i === raw.length - 1) return [raw.slice(0, i), ''];
  return [raw.slice(0, i), raw.slice(i + 1)];
}

const PROTOS = new Set(['tcp', 'udp', 'sctp']);

/** nat.ParsePortSpec: one `-p` value into (port, binding) pairs. */
export function parsePortSpec(rawPort: string): Array<{ port: string; binding: PortBinding }> {
  const parts = rawPort.split(':');
  const n = parts.length;
  const containerPort = parts[n - 1]!;
  const hostPort = n >= 2 ? parts[n - 2]! : '';
  let ip = n === 3 ? parts[0]! : n > 3 ? parts.slice(0, n - 2).join(':') : '';
  // IPv6 addresses come bracketed: [::1]:80:80.
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip && !isIP(ip)) throw new Error(`invalid IP address: ${ip}`);
  const [port, proto] = splitProto(containerPort);
  if (!port) throw new Error(`no port specified: ${containerPort}<empty>`);
  const cRange = parsePortRange(port);
  if (!cRange) throw new Error(`invalid containerPort: ${port}`);
  let hRange: [number, number] = [0, 0];
  if (hostPort) {
    const r = parsePortRange(hostPort);
    if (!r) throw new Error(`invalid hostPort: ${hostPort}`);
    hRange = r;
  }
  const proto2 = proto.toLowerCase();
  if (!PROTOS.has(proto2)) throw new Error(`invalid proto: ${proto}`);
  const cCount = cRange[1] - cRange[0];
  // A host range for a single container port is the range docker allocates from; otherwise sizes must match.
  if (hostPort && cCount !== hRange[1] - hRange[0] && cCount !== 0) {
    throw new Error(`invalid ranges specified for container and host Ports: ${port} and ${hostPort}`);
  }
  const out: Array<{ port: string; binding: PortBinding }> = [];
  for (let i = 0; i <= cCount; i++) {
    let hp = hostPort ? String(hRange[0] + i) : '';
    if (cCount === 0 && hRange[0] !== hRange[1]) hp = `${hp}-${hRange[1]}`;
    out.push({ port: `${cRange[0] + i}/${proto2}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

function isIP(s: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return s.split('.').every((o) => Number(o) <= 255);
  return /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':');
}

/** `--expose 7000`, `--expose 7100-7101/udp`. */
export function parseExpose(raw: string): string[] {
  const [port, proto] = splitProto(raw);
  const range = parsePortRange(port);
  if (!range) throw new Error(`invalid range format for --expose: ${raw}, error: strconv.ParseUint: parsing ${JSON.stringify(port)}: invalid syntax`);
  const out: string[] = [];
  for (let p = range[0]; p <= range[1]; p++) out.push(`${p}/${proto || 'tcp'}`);
  return out;
}

/** The long form `target=80,published=8080,protocol=udp,host_ip=127.0.0.1` in the short notation. */
export function publishShortForm(raw: string): string {
  if (!raw.includes('=')) return raw;
  const kv: Record<string, string> = {};
  for (const part of raw.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) throw new Error(`invalid field ${part} must be a key=value pair`);
    kv[part.slice(0, i).toLowerCase()] = part.slice(i + 1);
  }
  const target = kv.target ?? '';
  const proto = kv.protocol ? `/${kv.protocol}` : '';
  if (kv.published) return `${kv.host_ip ? `${kv.host_ip}:` : ''}${kv.published}:${target}${proto}`;
  return `${target}${proto}`;
}
