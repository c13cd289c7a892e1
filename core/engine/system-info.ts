// What the host tells the engine about the machine (for /info and /version), and how Docker
// names its architecture.

export interface HostInfo {
  hostname: string;
  /** `uname -r`. */
  kernelVersion: string;
  /** PRETTY_NAME of os-release: `Debian GNU/Linux 12 (bookworm)`. */
  operatingSystem: string;
  /** VERSION_ID of os-release: `12`. */
  osVersion: string;
  /** `linux`. */
  osType: string;
  /** `uname -m`: `x86_64`, `aarch64`, `i686`. */
  architecture: string;
  ncpu: number;
  memTotal: number;
  /** Open file descriptors and the like, when the host can tell; 0 otherwise. */
  nfd?: number;
  cgroupVersion?: string;
  cgroupDriver?: string;
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

/** The host service that answers HostInfo (Node reads os and /etc/os-release; a browser its guest). */
export type SystemInfo = () => Promise<HostInfo>;

const GO_ARCH: Record<string, string> = {
  x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64', i386: '386', i686: '386', ia32: '386',
  armv7l: 'arm', armv6l: 'arm', arm: 'arm', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64',
};

/** Go's GOARCH for a `uname -m` (or Node `process.arch`) name, as image platforms use. */
export function goArch(machine: string): string {
  return GO_ARCH[machine] ?? machine;
}

/** The variant a platform needs for 32-bit ARM; none elsewhere. */
export function goVariant(machine: string): string | undefined {
  if (machine === 'armv7l') return 'v7';
  if (machine === 'armv6l') return 'v6';
  return undefined;
}
