// Which registries are reached over plain HTTP and which mirrors stand in for Docker Hub, and the
// RegistryConfig block /info reports (`docker info` prints "Insecure Registries" from it).
import { isDockerHub } from '../reference/reference.ts';

export interface RegistrySettings {
  /** Hosts (`host:port`) or CIDRs (`10.0.0.0/8`) reached over plain HTTP. */
  insecureRegistries: string[];
  /** Mirrors of Docker Hub, tried in order before it (`https://mirror.example`). */
  mirrors: string[];
}

const LOOPBACK_CIDRS = ['::1/128', '127.0.0.0/8'];

function isCidr(s: string): boolean {
  return /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(s);
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (ip === '::1' || base === '::1') return ip === '::1' && base === '::1';
  const a = ipv4ToInt(ip);
  const b = ipv4ToInt(base ?? '');
  if (a === undefined || b === undefined || !(bits >= 0 && bits <= 32)) return false;
  if (bits === 0) return true;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

function hostOnly(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  const i = domain.lastIndexOf(':');
  return i >= 0 && domain.indexOf(':') === i ? domain.slice(0, i) : domain;
}

/**
 * Whether a registry domain is reached over plain HTTP: loopback and `localhost` always (as
 * dockerd), plus the configured `--insecure-registry` hosts and CIDRs.
 */
export function isInsecureRegistry(settings: RegistrySettings, domain: string): boolean {
  if (isDockerHub(domain)) return false;
  const host = hostOnly(domain);
  if (host === 'localhost') return true;
  for (const entry of [...LOOPBACK_CIDRS, ...settings.insecureRegistries]) {
    if (isCidr(entry)) { if (inCidr(host, entry)) return true; }
    else if (entry.replace(/^https?:\/\//, '').replace(/\/$/, '') === domain) return true;
  }
  return false;
}

export function registryInfo(settings: RegistrySettings): Record<string, unknown> {
  const cidrs = [...LOOPBACK_CIDRS, ...settings.insecureRegistries.filter(isCidr)];
  const indexConfigs: Record<string, unknown> = {
    'docker.io': { Name: 'docker.io', Mirrors: settings.mirrors, Secure: true, Official: true },
  };
  for (const r of settings.insecureRegistries.filter((x) => !isCidr(x))) {
    indexConfigs[r] = { Name: r, Mirrors: [], Secure: false, Official: false };
  }
  return {
    AllowNondistributableArtifactsCIDRs: null,
    AllowNondistributableArtifactsHostnames: null,
    InsecureRegistryCIDRs: cidrs,
    IndexConfigs: indexConfigs,
    Mirrors: settings.mirrors,
  };
}
