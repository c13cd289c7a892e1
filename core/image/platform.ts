// Platforms (os/architecture/variant) as containerd's platforms package parses, normalizes and
// matches them, which is what Docker uses to pick an image out of a manifest list.
import { BerthError } from '../errors.ts';
import type { Descriptor, ImageConfig, Index, Platform } from './types.ts';

export const LINUX_AMD64: Platform = Object.freeze({ os: 'linux', architecture: 'amd64' }) as Platform;
/** What the browser's emulated x86 guest runs. */
export const LINUX_386: Platform = Object.freeze({ os: 'linux', architecture: '386' }) as Platform;
export const WASI_WASM: Platform = Object.freeze({ os: 'wasi', architecture: 'wasm' }) as Platform;

// Go's GOOS/GOARCH lists (as containerd's knownOS/knownArch), plus `wasi`, the OS of wasm images.
const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js',
  'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos', 'wasi', 'wasip1']);
const KNOWN_ARCH = new Set(['386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le',
  'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64',
  's390', 's390x', 'sparc', 'sparc64', 'wasm']);

const OS_AND_VERSION_RE = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.-]*)\))?$/;
const COMPONENT_RE = /^[A-Za-z0-9_-]+$/;

function invalidArgument(message: string): BerthError {
  return new BerthError('invalid_argument', `${message}: invalid argument`);
}

function normalizeOS(os: string): string {
  const o = os.toLowerCase();
  return o === 'macos' ? 'darwin' : o;
}

function normalizeArch(arch: string, variant: string): [string, string] {
  let a = arch.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case 'i386': case 'i486': case 'i586': case 'i686': case 'x86': case '386':
      a = '386'; v = ''; break;
    case 'x86_64': case 'x86-64': case 'amd64':
      a = 'amd64'; if (v === 'v1') v = ''; break;
    case 'aarch64': case 'arm64':
      // v8 is what arm64 means without a variant, so it is dropped for comparison.
      a = 'arm64';
      if (v === '8' || v === 'v8' || v === 'v8.0') v = '';
      else if (v === '9' || v === '9.0' || v === 'v9.0') v = 'v9';
      break;
    case 'armhf': a = 'arm'; v = 'v7'; break;
    case 'armel': a = 'arm'; v = 'v6'; break;
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (v === '5' || v === '6' || v === '8') v = `v${v}`;
      break;
  }
  return [a, v];
}

function build(os: string, architecture: string, variant: string, osVersion?: string): Platform {
  const p: Platform = { os, architecture };
  if (osVersion) p['os.version'] = osVersion;
  if (variant) p.variant = variant;
  return p;
}

/**
 * Parses `os[(os.version)]/arch[/variant]` (or a bare OS or architecture, completed from `host`),
 * normalizing aliases such as x86_64 and aarch64, as `docker pull --platform` does.
 */
export function parsePlatform(specifier: string, host: Platform = LINUX_AMD64): Platform {
  if (specifier.includes('*')) throw invalidArgument(`${JSON.stringify(specifier)}: wildcards not yet supported`);
  const parts = specifier.split('/');
  const m = OS_AND_VERSION_RE.exec(parts[0]!);
  if (!m) {
    throw invalidArgument(`${JSON.stringify(parts[0])} is an invalid OS component of ${JSON.stringify(specifier)}: OSAndVersion specifier component must match ${JSON.stringify(OS_AND_VERSION_RE.source)}`);
  }
  for (const part of parts.slice(1)) {
    if (!COMPONENT_RE.test(part)) {
      throw invalidArgument(`${JSON.stringify(part)} is an invalid component of ${JSON.stringify(specifier)}: platform specifier component must match ${JSON.stringify(COMPONENT_RE.source)}`);
    }
  }
  const os = normalizeOS(m[1]!);
  const osVersion = m[2];
  switch (parts.length) {
    case 1: {
      if (KNOWN_OS.has(os)) {
        return normalizePlatform(build(os, host.architecture, host.variant ?? '', osVersion));
      }
      const [a, v] = normalizeArch(parts[0]!, '');
      if (KNOWN_ARCH.has(a)) return build(host.os, a, a === 'arm' && v === 'v7' ? '' : v);
      throw invalidArgument(`${JSON.stringify(specifier)}: unknown operating system or architecture`);
    }
    case 2: {
      const [a, v] = normalizeArch(parts[1]!, '');
      // arm means arm/v7 already; containerd leaves the default variant unwritten here.
      return build(os, a, a === 'arm' && v === 'v7' ? '' : v, osVersion);
    }
    case 3: {
      const [a, v] = normalizeArch(parts[1]!, parts[2]!);
      return build(os, a, a === 'arm64' && v === '' ? 'v8' : v, osVersion);
    }
    default:
      throw invalidArgument(`${JSON.stringify(specifier)}: cannot parse platform specifier`);
  }
}

/** `linux/amd64`, `linux/arm/v7`: os/architecture[/variant]. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((s) => s).join('/');
}

/** The canonical form used for comparison: lowercase, aliases resolved, default variants dropped. */
export function normalizePlatform(p: Platform): Platform {
  const [a, v] = normalizeArch(p.architecture ?? '', p.variant ?? '');
  const out: Platform = { ...p, os: normalizeOS(p.os ?? ''), architecture: a };
  if (v) out.variant = v; else delete out.variant;
  return out;
}

/**
 * What a machine of platform `want` can run, best first (containerd's platformVector): the exact
 * platform, then older variants of it, then 32-bit siblings (amd64 runs 386, arm64 runs arm).
 */
export function compatiblePlatforms(want: Platform): Platform[] {
  const p = normalizePlatform(want);
  const same = (architecture: string, variant?: string): Platform => {
    const q: Platform = { os: p.os, architecture };
    if (p['os.version']) q['os.version'] = p['os.version'];
    if (variant) q.variant = variant;
    return q;
  };
  const out: Platform[] = [p];
  const version = Number.parseInt((p.variant ?? '').replace(/^v/, ''), 10);
  switch (p.architecture) {
    case 'amd64':
      if (version > 1) for (let n = version - 1; n >= 1; n--) out.push(same('amd64', n === 1 ? undefined : `v${n}`));
      out.push(same('386'));
      break;
    case 'arm':
      if (version > 5) for (let n = version - 1; n >= 5; n--) out.push(same('arm', `v${n}`));
      break;
    case 'arm64':
      // An arm64 CPU runs 32-bit arm binaries from v8 down.
      out.push(...compatiblePlatforms(same('arm', p.variant || 'v8')));
      break;
  }
  return out;
}

function samePlatform(a: Platform, b: Platform): boolean {
  if (a.os !== b.os || a.architecture !== b.architecture || (a.variant ?? '') !== (b.variant ?? '')) return false;
  // os.version only narrows a match when both name one (Windows builds); Linux images leave it out.
  return !a['os.version'] || !b['os.version'] || a['os.version'] === b['os.version'];
}

/** Rank of `have` for a machine of platform `want`: 0 is exact, higher is a worse fit, -1 cannot run. */
export function platformRank(want: Platform, have: Platform): number {
  const h = normalizePlatform(have);
  return compatiblePlatforms(want).findIndex((c) => samePlatform(c, h));
}

/** Whether a machine of platform `want` can run an image built for `have`. */
export function platformMatches(want: Platform, have: Platform): boolean {
  return platformRank(want, have) >= 0;
}

/** The platform an image config declares. */
export function platformOfConfig(config: Pick<ImageConfig, 'os' | 'architecture' | 'variant' | 'os.version'>): Platform {
  return normalizePlatform(build(config.os, config.architecture, config.variant ?? '', config['os.version']));
}

/** Index entries that can run on `want`, best first (stable for ties, as the index lists them). */
export function matchingManifests(index: Index, want: Platform): Descriptor[] {
  return index.manifests
    .map((d, i) => ({ d, i, rank: d.platform ? platformRank(want, d.platform) : -1 }))
    .filter((e) => e.rank >= 0)
    .sort((x, y) => x.rank - y.rank || x.i - y.i)
    .map((e) => e.d);
}

/**
 * Picks the best entry of a manifest list / OCI index for `want`, as `docker pull` does; entries
 * without a platform (attestations, artifacts) are never chosen.
 */
export function selectManifest(index: Index, want: Platform): Descriptor {
  const best = matchingManifests(index, want)[0];
  if (!best) {
    throw new BerthError('not_found', `no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
  }
  return best;
}
