// Loads berth's native addon (the system calls Node lacks). It is found by walking up from this
// module to a directory holding host-linux/native/build/Release/berth_native.node, which works
// both from the source tree (run with tsx) and from the esbuild bundles in dist/.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../../core/errors.ts';

export interface NativeAddon {
  /** mknod(2): `mode` holds the file type (S_IFCHR, S_IFBLK, S_IFIFO) and permission bits. */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2); never follows a symlink. */
  lsetxattr(path: string, name: string, value: Uint8Array, flags?: number): void;
  /** lgetxattr(2); throws an error with code ENODATA when the attribute is not set. */
  lgetxattr(path: string, name: string): Buffer;
  /** llistxattr(2): the attribute names. */
  llistxattr(path: string): string[];
  lremovexattr(path: string, name: string): void;
  /** mount(2); `source`, `fstype` and `data` may be null. `flags` is an OR of the MS_* constants. */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string | null): void;
  /** umount2(2); `flags` is an OR of MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW. */
  umount2(target: string, flags: number): void;
  /** The cgroup2 device program (BPF instructions, 8 bytes each) for rules encoded as host-linux/cgroups/v2/devices.ts does. */
  deviceFilterProgram(rules: Uint8Array): Buffer;
  /** Attaches the device program for `rules` to the cgroup2 directory, replacing the ones there; returns how many it replaced. */
  attachDeviceFilter(cgroupDir: string, rules: Uint8Array): number;
  /** The ids of the device programs attached to the cgroup2 directory itself. */
  deviceFilterPrograms(cgroupDir: string): number[];
  /** malloc_trim(0): returns free malloc memory of every arena to the system; true when some was. */
  mallocTrim(): boolean;
  /** mallopt(3) with one of the M_* constants below; true when glibc accepted the value. */
  mallopt(param: number, value: number): boolean;
  /** V8's Isolate::LowMemoryNotification: a full collection that also shrinks the heap (young generation included). */
  lowMemoryNotification(): void;

  // rtnetlink. `netns` is an open fd of a network namespace (/proc/<pid>/ns/net) or null for the
  // daemon's own; the work happens there without moving the daemon's thread. Errors carry the
  // errno's code and say what was being done: "EEXIST: file exists, creating veth 'berth0a'".
  /** A bridge; `mtu` 0 keeps the kernel's default. */
  netlinkCreateBridge(netns: number | null, name: string, mtu: number): void;
  /** A veth pair; the peer is created directly in `peerNetns` (null: beside `name`). */
  netlinkCreateVeth(netns: number | null, name: string, peerName: string, mtu: number, peerNetns: number | null): void;
  /** Moves a link into the namespace `targetNetns` (an fd). */
  netlinkSetLinkNetns(netns: number | null, name: string, targetNetns: number): void;
  /** Renames a link (it must be down). */
  netlinkRenameLink(netns: number | null, name: string, newName: string): void;
  netlinkSetLinkUp(netns: number | null, name: string, up: boolean): void;
  /** Attaches a link to a bridge; null detaches it. */
  netlinkSetLinkMaster(netns: number | null, name: string, master: string | null): void;
  netlinkSetLinkMtu(netns: number | null, name: string, mtu: number): void;
  /** Deletes a link; deleting one end of a veth pair deletes both. */
  netlinkDeleteLink(netns: number | null, name: string): void;
  /** A link's name, index, kind, MAC address ("aa:bb:..."), MTU, whether it is up, and its bridge's index (0: none). */
  netlinkLink(netns: number | null, name: string): NetlinkLink;
  /** Every link of the namespace. */
  netlinkListLinks(netns: number | null): NetlinkLink[];
  /** Sets a link's MAC address; a bridge given one keeps it instead of taking its lowest port's. */
  netlinkSetLinkAddress(netns: number | null, name: string, mac: string): void;
  /** Adds an IPv4 address in CIDR form ("172.18.0.2/16") with its subnet's broadcast address. */
  netlinkAddAddress(netns: number | null, name: string, cidr: string): void;
  /** The IPv4 addresses of every link. */
  netlinkListAddresses(netns: number | null): NetlinkAddress[];
  /**
   * Adds an IPv4 route (to the main table, unicast, unless `options` says otherwise); destination
   * null is the default route. A prohibit/blackhole/unreachable route takes no gateway or link.
   */
  netlinkAddRoute(netns: number | null, destination: string | null, gateway: string | null, link: string | null, options?: NetlinkRouteOptions): void;
  /** Deletes the route to `destination` (null: the default) from `options.table` (main), of any type unless `options.type`. */
  netlinkDeleteRoute(netns: number | null, destination: string | null, options?: NetlinkRouteOptions): void;
  /** The IPv4 routes of every table (main is 254, local 255). */
  netlinkListRoutes(netns: number | null): NetlinkRoute[];
  /**
   * Adds an IPv4 policy-routing rule, `ip rule add pref <priority> [iif <iif>] [to <destination>]
   * lookup <table> | prohibit` (table 0 for actions other than lookup).
   */
  netlinkAddRule(netns: number | null, priority: number, action: NetlinkRuleAction, table: number, iif: string | null, destination: string | null): void;
  /** Deletes the rule with exactly these selectors and action. */
  netlinkDeleteRule(netns: number | null, priority: number, action: NetlinkRuleAction, table: number, iif: string | null, destination: string | null): void;
  /** The IPv4 rules, as `ip rule` lists them. */
  netlinkListRules(netns: number | null): NetlinkRule[];
  /**
   * A container's interface, in two namespaces and as few requests as it takes: a veth pair with
   * `hostName` on `bridge` and up, its peer made directly in `peerNetns` as `peerName` with
   * `peerMac`, up, with `address` (CIDR) and, unless `gateway` is null, the default route through it.
   * On failure nothing is left behind.
   */
  netlinkJoinEndpoint(netns: number | null, bridge: string, hostName: string, peerNetns: number, peerName: string, peerMac: string, mtu: number, address: string, gateway: string | null): void;
}

export interface NetlinkLink {
  name: string;
  index: number;
  /** IFLA_INFO_KIND: "bridge", "veth", ...; "" for links without one (lo, physical NICs). */
  kind: string;
  mac: string;
  mtu: number;
  up: boolean;
  master: number;
}

export interface NetlinkAddress {
  linkIndex: number;
  /** CIDR: "172.18.0.1/16". */
  address: string;
}

export type NetlinkRouteType = 'unicast' | 'prohibit' | 'blackhole' | 'unreachable';

export interface NetlinkRouteOptions {
  /** Default 254 (main). */
  table?: number;
  type?: NetlinkRouteType;
}

export type NetlinkRuleAction = 'lookup' | 'prohibit' | 'unreachable' | 'blackhole' | 'nop';

export interface NetlinkRule {
  priority: number;
  action: NetlinkRuleAction | 'goto' | 'other';
  /** 0 for rules that look up no table. */
  table: number;
  iif?: string;
  /** CIDR, when the rule selects a destination. */
  destination?: string;
}

export interface NetlinkRoute {
  /** CIDR; "0.0.0.0/0" is the default route. */
  destination: string;
  gateway?: string;
  /** The preferred source address. */
  source?: string;
  /** The outgoing link's index (0 when the route has none). */
  linkIndex: number;
  table: number;
  type: 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'other';
}

// mallopt(3) parameters (malloc.h).
export const M_TRIM_THRESHOLD = -1;
export const M_MMAP_THRESHOLD = -3;
export const M_ARENA_MAX = -8;

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

// mount(2) flags (linux/mount.h).
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOSYMFOLLOW = 0x100;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_SILENT = 0x8000;
export const MS_POSIXACL = 0x10000;
export const MS_UNBINDABLE = 0x20000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_STRICTATIME = 0x1000000;
export const MS_LAZYTIME = 0x2000000;
// umount2(2) flags.
export const MNT_FORCE = 0x1;
export const MNT_DETACH = 0x2;
export const MNT_EXPIRE = 0x4;
export const UMOUNT_NOFOLLOW = 0x8;

const ADDON = join('host-linux', 'native', 'build', 'Release', 'berth_native.node');

/** Where the addon is, or undefined. BERTH_NATIVE_ADDON overrides the search. */
export function findAddon(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  const override = process.env['BERTH_NATIVE_ADDON'];
  if (override) return existsSync(override) ? override : undefined;
  const local = join(from, 'build', 'Release', 'berth_native.node');
  if (existsSync(local)) return local;
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, ADDON);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

let loaded: NativeAddon | undefined;

/** The addon, loaded on first use; a clear error when it was never built. */
export function native(): NativeAddon {
  if (loaded) return loaded;
  const path = findAddon();
  if (!path) {
    throw new BerthError('unavailable', "berth's native addon is not built: run npm run build:native (needs build-essential and python3)");
  }
  try {
    loaded = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    throw new BerthError('unavailable', `berth's native addon at ${path} cannot be loaded (${e instanceof Error ? e.message : String(e)}): rebuild it with npm run build:native`, { cause: e });
  }
  return loaded;
}

/** lgetxattr that answers undefined for an attribute that is not set. */
export function getXattr(path: string, name: string): Buffer | undefined {
  try {
    return native().lgetxattr(path, name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENODATA') return undefined;
    throw e;
  }
}
