// Which registries are spoken to over plain HTTP and which mirrors stand in for Docker Hub, decided
// as dockerd's registry service does (registry/config.go), so that `--insecure-registry` and
// `registry-mirrors` mean the same thing to berth.
import { BerthError } from '../errors.ts';
import { isDockerHub } from '../reference/reference.ts';
import { DOMAIN_RE } from '../reference/grammar.ts';
import { cidrContains, parseCIDR, parseIP, splitHostPort, type CIDR } from './ip.ts';

/** Registries on loopback are insecure without being listed, as in dockerd. */
const LOOPBACK_CIDRS = ['127.0.0.0/8', '::1/128'].map((c) => parseCIDR(c)!);

function invalid(message: string): BerthError {
  return new BerthError('invalid_argument', message);
}

export interface ValidatedInsecureRegistry {
  /** The entry as dockerd stores it: scheme dropped, CIDRs in canonical form. */
  value: string;
  cidr?: CIDR;
  warning?: string;
}

/** Validates one `--insecure-registry` / `insecure-registries` entry: a host[:port] or a CIDR. */
export function validateInsecureRegistry(entry: string): ValidatedInsecureRegistry {
  let r = entry === 'index.docker.io' ? 'docker.io' : entry;
  if (r.startsWith('-') || r.endsWith('-')) {
    throw invalid(`invalid index name (${r}). Cannot begin or end with a hyphen.`);
  }
  let warning: string | undefined;
  const lower = r.toLowerCase();
  for (const scheme of ['http://', 'https://']) {
    if (lower.startsWith(scheme)) {
      warning = `insecure registry ${r} should not contain '${scheme}' and '${scheme}' has been removed from the insecure registry config`;
      r = r.slice(scheme.length);
      break;
    }
  }
  if (!warning && r.includes('://')) throw invalid(`insecure registry ${r} should not contain '://'`);
  const cidr = parseCIDR(r);
  if (cidr) return { value: cidr.text, cidr, ...(warning ? { warning } : {}) };
  validateHostPort(r);
  return { value: r, ...(warning ? { warning } : {}) };
}

function validateHostPort(s: string): void {
  const { host, port } = splitHostPort(s);
  if (host === '' || (!DOMAIN_RE.test(host) && parseIP(host) === undefined)) {
    throw invalid(`insecure registry ${s} is not valid: invalid host ${JSON.stringify(host)}`);
  }
  if (port !== undefined) {
    if (!/^[0-9]+$/.test(port) || Number(port) > 65535) {
      throw invalid(`insecure registry ${s} is not valid: invalid port ${JSON.stringify(port)}`);
    }
  }
}

/** Validates a registry mirror URL and returns it with the trailing slash dockerd adds. */
export function validateMirror(value: string): string {
  let uri: URL;
  try {
    uri = new URL(value);
  } catch {
    throw invalid(`invalid mirror: ${JSON.stringify(value)} is not a valid URI`);
  }
  const scheme = uri.protocol.replace(/:$/, '');
  if (scheme !== 'http' && scheme !== 'https') {
    throw invalid(`invalid mirror: unsupported scheme ${JSON.stringify(scheme)} in ${JSON.stringify(value)}`);
  }
  if (uri.search !== '' || uri.hash !== '' || /[?#]/.test(value)) {
    throw invalid(`invalid mirror: query or fragment at end of the URI ${JSON.stringify(value)}`);
  }
  if (uri.username !== '' || uri.password !== '') {
    uri.password = 'xxxxx';
    throw invalid(`invalid mirror: username/password not allowed in URI ${JSON.stringify(uri.toString())}`);
  }
  return value.replace(/\/+$/, '') + '/';
}

/** A host service: the addresses a host name resolves to (`/etc/hosts`, DNS). Rejects when it does not resolve. */
export type HostResolver = (hostname: string) => Promise<string[]>;

/** One way to reach a registry, in the order dockerd tries them. */
export interface RegistryEndpoint {
  /** `https://host[:port]` or `http://host[:port]`, without a trailing slash. */
  url: string;
  /** TLS without certificate verification: dockerd's first try for an insecure registry. */
  insecureSkipVerify: boolean;
}

export class RegistryConfig {
  readonly insecure: readonly string[];
  readonly mirrors: readonly string[];
  readonly warnings: readonly string[];
  readonly #hosts = new Set<string>();
  readonly #cidrs: CIDR[] = [...LOOPBACK_CIDRS];

  /** Validates every entry; throws BerthError('invalid_argument') with dockerd's wording. */
  constructor({ insecure = [], mirrors = [] }: { insecure?: string[]; mirrors?: string[] } = {}) {
    const warnings: string[] = [];
    const values: string[] = [];
    for (const entry of insecure) {
      const v = validateInsecureRegistry(entry);
      if (v.warning) warnings.push(v.warning);
      if (v.cidr) this.#cidrs.push(v.cidr);
      else this.#hosts.add(v.value);
      values.push(v.value);
    }
    this.insecure = values;
    this.mirrors = mirrors.map(validateMirror);
    this.warnings = warnings;
  }

  /**
   * Whether `hostWithPort` (a reference's domain: `127.0.0.1:5000`, `[::1]:5000`, `reg.local`) is
   * spoken to without verified TLS: listed exactly, or an IP literal inside a listed CIDR or
   * loopback. Docker Hub never is. `localhost` counts as loopback; other names are not resolved.
   */
  isInsecure(hostWithPort: string): boolean {
    if (isDockerHub(hostWithPort)) return false;
    if (this.#hosts.has(hostWithPort)) return true;
    const { host } = splitHostPort(hostWithPort);
    if (host.toLowerCase() === 'localhost') return true;
    const ip = parseIP(host);
    if (!ip) return false;
    return this.#cidrs.some((c) => cidrContains(c, ip));
  }

  /**
   * `isInsecure`, then dockerd's lookup (registry/config.go isSecureIndex): a name whose addresses
   * fall in loopback or a listed CIDR is insecure too, so `myhost:5000` (Debian maps the host name
   * to 127.0.1.1) is plain HTTP as with dockerd. A name that does not resolve stays secure.
   */
  async isInsecureResolved(hostWithPort: string, resolve?: HostResolver): Promise<boolean> {
    if (this.isInsecure(hostWithPort)) return true;
    if (!resolve || isDockerHub(hostWithPort)) return false;
    const { host } = splitHostPort(hostWithPort);
    if (parseIP(host)) return false;
    let addresses: string[];
    try {
      addresses = await resolve(host);
    } catch {
      return false;
    }
    return addresses.some((a) => {
      const ip = parseIP(a);
      return ip !== undefined && this.#cidrs.some((c) => cidrContains(c, ip));
    });
  }

  /** `scheme` after resolving the name (see `isInsecureResolved`). */
  async schemeResolved(host: string, resolve?: HostResolver): Promise<'http' | 'https'> {
    return (await this.isInsecureResolved(host, resolve)) ? 'http' : 'https';
  }

  /** Mirror base URLs (with trailing slash) to try before the registry itself; only Docker Hub has them. */
  mirrorsFor(domain: string): string[] {
    return isDockerHub(domain) ? [...this.mirrors] : [];
  }

  /** The scheme berth uses for `host`: plain HTTP for insecure registries, HTTPS otherwise. */
  scheme(host: string): 'http' | 'https' {
    return this.isInsecure(host) ? 'http' : 'https';
  }

  /**
   * Every endpoint dockerd would try for `host`, in order: HTTPS, then for an insecure registry
   * HTTPS without verification and plain HTTP.
   */
  endpoints(host: string): RegistryEndpoint[] {
    if (!this.isInsecure(host)) return [{ url: `https://${host}`, insecureSkipVerify: false }];
    return [
      { url: `https://${host}`, insecureSkipVerify: true },
      { url: `http://${host}`, insecureSkipVerify: false },
    ];
  }
}
