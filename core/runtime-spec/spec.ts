// The OCI runtime spec for a container, as dockerd + containerd would write it for the same create
// request: process (argv, env, user, capabilities, rlimits), mounts, namespaces, seccomp, masked
// and read-only paths, sysctls, resources. Pure: the daemon passes in host facts and paths.
import { BerthError } from '../errors.ts';
import type { ContainerConfig, HostConfig, Ulimit } from '../engine/containers/types.ts';
import { containerCapabilities } from './capabilities.ts';
import { DEFAULT_DEVICES, deviceCgroupRules, mappedDevices, type HostDeviceLookup } from './devices.ts';
import {
  DEFAULT_SHM_SIZE, bindSpecMount, defaultMounts, sortMounts, tmpfsSpecMount, userMounts, type UserMount,
} from './mounts.ts';
import { containerEnv, entrypointAndArgs } from './process.ts';
import { specResources, type DeviceResolver } from './resources.ts';
import { specRlimits, type HostRlimits } from './rlimits.ts';
import { DEFAULT_SECCOMP_PROFILE, type SeccompProfile } from './seccomp-default.ts';
import { kernelAtLeast, resolveSeccomp } from './seccomp.ts';
import { parseSecurityOpts } from './security-opts.ts';
import type { Device, Mount, Namespace, NamespaceType, Spec } from './types.ts';
import { resolveUser, type RootfsReader } from './user.ts';

export const OCI_VERSION = '1.0.2-dev';
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

export const DEFAULT_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Facts about the host the daemon runs on. */
export interface HostInfo {
  /** GOARCH or Node arch of the container's platform (amd64, arm64, x64...). */
  arch: string;
  /** `uname -r`. */
  kernel: string;
  /** 1 (v1 or hybrid, as here) or 2 (unified). Decides the default cgroup namespace mode as dockerd does. */
  cgroupVersion: 1 | 2;
  /** The host's hostname: a `--network host` container's default hostname. */
  hostname?: string;
  /** The daemon's bounding set: what `--privileged` and `--cap-add ALL` can grant. */
  capabilities?: readonly string[];
  /** The daemon's current rlimits: `--ulimit` values are capped at their hard limits. */
  rlimits?: HostRlimits;
  /** Host devices a `--privileged` container gets (all of /dev in Docker); none given, the defaults only. */
  devices?: readonly Device[];
}

export interface SpecInput {
  id: string;
  /** The container's Config, already merged with the image's (mergeImageConfig). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Reads /etc/passwd and /etc/group of the container's root filesystem. */
  rootfs: RootfsReader;
  /** The root filesystem's path (absolute, or relative to the bundle). */
  rootfsPath: string;
  /** Host paths of the generated files bound into the container. */
  files: { hostname: string; hosts: string; resolvConf: string };
  host: HostInfo;
  /** Host path of berth-init, bound at /sbin/docker-init with `--init`. */
  initPath?: string;
  /** Parent of the container's cgroup (`/berth`): cgroupsPath is `<parent>/<id>`. */
  cgroupParent?: string;
  /** The daemon's default ulimits (daemon.json `default-ulimits`). */
  defaultUlimits?: readonly Ulimit[];
  /** Existing namespaces to join, e.g. `--network container:x` (the daemon resolves the path). */
  namespacePaths?: Partial<Record<NamespaceType, string>>;
  /** Stats a host device path for its major:minor (block I/O limits); without it, such limits are refused. */
  resolveDevice?: DeviceResolver;
  /** The host's device nodes at a `--device` path; without it, `--device` is refused. */
  lookupDevices?: HostDeviceLookup;
  /** Host path for a volume mount (issue 5); without it, volume mounts are refused. */
  resolveVolume?: (m: UserMount) => string;
  /** Mounts not in the HostConfig's binds and mounts: the image's VOLUMEs and --volumes-from's. */
  inheritedMounts?: UserMount[];
}

export interface SpecResult { spec: Spec; warnings: string[] }

/** The hostname dockerd gives a container at create: Config.Hostname, the host's with `--network host`, else the short ID. */
export function containerHostname(id: string, config: Pick<ContainerConfig, 'Hostname'>, hostConfig: Pick<HostConfig, 'NetworkMode'>, hostHostname?: string): string {
  if (config.Hostname) return config.Hostname;
  if (hostConfig.NetworkMode === 'host' && hostHostname) return hostHostname;
  return id.slice(0, 12);
}

/** Sysctls runc lets a container set, by the namespace that isolates them. */
function checkSysctl(key: string, ns: { net: boolean; ipc: boolean; uts: boolean }): void {
  const ipcKeys = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];
  if (ipcKeys.includes(key) || key.startsWith('fs.mqueue.')) {
    if (!ns.ipc) throw new BerthError('invalid_argument', `sysctl "${key}" is not allowed in the hosts ipc namespace`);
    return;
  }
  if (key.startsWith('net.')) {
    if (!ns.net) throw new BerthError('invalid_argument', `sysctl "${key}" not allowed in host network namespace`);
    return;
  }
  if (key === 'kernel.domainname' || key === 'kernel.hostname') {
    if (!ns.uts) throw new BerthError('invalid_argument', `sysctl "${key}" is not allowed as it conflicts with the OCI "hostname" field`);
    return;
  }
  throw new BerthError('invalid_argument', `sysctl "${key}" is not in a separate kernel namespace`);
}

const isMode = (mode: string | undefined, name: string) => mode === name || (mode ?? '').startsWith(`${name}:`);

export async function generateSpec(input: SpecInput): Promise<SpecResult> {
  const { id, config, host } = input;
  const hc = input.hostConfig;
  const warnings: string[] = [];
  const privileged = !!hc.Privileged;
  const security = parseSecurityOpts(hc.SecurityOpt);

  // Process.
  const { path, args } = entrypointAndArgs(config);
  let argv = [path, ...args];
  const hostname = containerHostname(id, config, hc, host.hostname);
  const user = await resolveUser(config.User ?? '', hc.GroupAdd, input.rootfs);
  const caps = containerCapabilities({ capAdd: hc.CapAdd, capDrop: hc.CapDrop, privileged, hostCapabilities: host.capabilities });
  const capabilities = user.uid === 0
    ? { bounding: caps, effective: caps, permitted: caps }
    // A non-root user starts with no effective or permitted capabilities, as a login would.
    : { bounding: caps };
  const limits = specRlimits(hc.Ulimits, { defaults: input.defaultUlimits, host: host.rlimits });
  warnings.push(...limits.warnings);
  const process: Spec['process'] = {
    user, args: argv, env: containerEnv(config, hostname), cwd: config.WorkingDir || '/', capabilities,
    oomScoreAdj: hc.OomScoreAdj ?? 0,
  };
  if (config.Tty) {
    process.terminal = true;
    // dockerd starts the process at the client's size (API 1.42+), so the first screen is drawn right.
    const [height = 0, width = 0] = hc.ConsoleSize ?? [];
    if (height > 0 && width > 0) process.consoleSize = { height, width };
  }
  if (limits.rlimits.length) process.rlimits = limits.rlimits;
  if (security.noNewPrivileges) process.noNewPrivileges = true;

  // Namespaces, in dockerd's order.
  const netHost = hc.NetworkMode === 'host';
  const paths = input.namespacePaths ?? {};
  const needsPath = (type: NamespaceType, mode: string | undefined, flag: string) => {
    if (isMode(mode, 'container') && !paths[type]) throw new BerthError('unsupported', `${flag} container:<name> is not supported yet`);
  };
  needsPath('network', hc.NetworkMode, '--network');
  needsPath('pid', hc.PidMode, '--pid');
  needsPath('ipc', hc.IpcMode, '--ipc');
  const cgroupns = hc.CgroupnsMode || (host.cgroupVersion === 2 ? 'private' : 'host');
  const ns = (type: NamespaceType): Namespace => (paths[type] ? { type, path: paths[type] } : { type });
  const namespaces: Namespace[] = [ns('mount')];
  if (!netHost) namespaces.push(ns('network'));
  if (hc.UTSMode !== 'host') namespaces.push(ns('uts'));
  if (hc.PidMode !== 'host') namespaces.push(ns('pid'));
  if (hc.IpcMode !== 'host') namespaces.push(ns('ipc'));
  if (cgroupns === 'private') namespaces.push(ns('cgroup'));

  // Mounts.
  const shmSize = hc.ShmSize || DEFAULT_SHM_SIZE;
  const user_ = [...userMounts(hc), ...(input.inheritedMounts ?? [])];
  const taken = new Set(user_.map((m) => m.Destination));
  const mountsDev = taken.has('/dev');
  let mounts = defaultMounts(shmSize).filter((m) => !taken.has(m.destination)
    && !(mountsDev && m.destination.startsWith('/dev/'))
    && !(m.destination === '/dev/shm' && (hc.IpcMode === 'none' || hc.IpcMode === 'host')));
  if (hc.IpcMode === 'host' && !taken.has('/dev/shm')) mounts.push(bindSpecMount('/dev/shm', '/dev/shm', false));
  if (privileged) {
    // Privileged containers may write /sys and the cgroup tree.
    mounts = mounts.map((m) => (m.destination === '/sys' || m.destination === '/sys/fs/cgroup' ? { ...m, options: m.options!.filter((o) => o !== 'ro') } : m));
  }
  const extra: Mount[] = [];
  let rootPropagation = '';
  for (const m of user_.filter((u) => u.Type !== 'tmpfs')) {
    let source = m.Source;
    if (m.Type === 'volume') {
      if (!input.resolveVolume) throw new BerthError('unsupported', `volume mounts are not supported yet: ${m.Source || '<anonymous>'}:${m.Destination}`);
      source = input.resolveVolume(m);
    }
    if (/^r?shared$/.test(m.Propagation)) rootPropagation = 'shared';
    else if (/^r?slave$/.test(m.Propagation) && rootPropagation !== 'shared') rootPropagation = 'rslave';
    extra.push(bindSpecMount(source, m.Destination, !m.RW, m.Propagation || 'rprivate', m.nonRecursive));
  }
  if (hc.Init) {
    if (!input.initPath) throw new BerthError('unsupported', '--init is not available: the daemon has no init binary');
    argv = [INIT_PATH_IN_CONTAINER, '--', ...argv];
    process.args = argv;
    extra.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: input.initPath, options: ['bind', 'ro'] });
  }
  // dockerd lists `--tmpfs` before `--mount type=tmpfs`.
  const tmpfs = [...user_.filter((u) => u.origin === 'Tmpfs'), ...user_.filter((u) => u.Type === 'tmpfs' && u.origin !== 'Tmpfs')];
  for (const m of tmpfs) extra.push(tmpfsSpecMount(m.Destination, m.data ?? ''));
  const ro = !!hc.ReadonlyRootfs;
  for (const [dest, src] of [['/etc/resolv.conf', input.files.resolvConf], ['/etc/hostname', input.files.hostname], ['/etc/hosts', input.files.hosts]] as const) {
    if (!taken.has(dest)) extra.push(bindSpecMount(src, dest, ro));
  }
  mounts.push(...sortMounts(extra));

  // Linux.
  const sysctl: Record<string, string> = {};
  const netPrivate = !netHost && !isMode(hc.NetworkMode, 'container');
  if (netPrivate) {
    if (kernelAtLeast(host.kernel, '4.11')) sysctl['net.ipv4.ip_unprivileged_port_start'] = '0';
    sysctl['net.ipv4.ping_group_range'] = '0 2147483647';
  }
  for (const [k, v] of Object.entries(hc.Sysctls ?? {})) {
    checkSysctl(k, { net: !netHost, ipc: hc.IpcMode !== 'host', uts: hc.UTSMode !== 'host' });
    sysctl[k] = v;
  }
  // Devices as dockerd's WithDevices: --device mappings (and their rules), then --device-cgroup-rule.
  const resources = specResources(hc, input.resolveDevice);
  const mapped = mappedDevices(hc.Devices ?? [], input.lookupDevices, privileged);
  if (!privileged) resources.devices = [...resources.devices ?? [], ...mapped.rules, ...deviceCgroupRules(hc.DeviceCgroupRules ?? [])];
  const linux: NonNullable<Spec['linux']> = {
    ...(Object.keys(sysctl).length ? { sysctl } : {}),
    resources,
    cgroupsPath: `${input.cgroupParent ?? '/berth'}/${id}`,
    namespaces,
    devices: mergeDevices(privileged && host.devices ? mergeDevices(DEFAULT_DEVICES, host.devices) : DEFAULT_DEVICES, mapped.devices),
  };
  if (!privileged && security.seccompProfile !== 'unconfined') {
    const profile = security.seccompProfile && security.seccompProfile !== 'builtin' ? parseProfile(security.seccompProfile) : DEFAULT_SECCOMP_PROFILE;
    linux.seccomp = resolveSeccomp(profile, { arch: host.arch, capabilities: caps, kernel: host.kernel });
  }
  if (rootPropagation) linux.rootfsPropagation = rootPropagation;
  if (!privileged) {
    linux.maskedPaths = [...(hc.MaskedPaths ?? DEFAULT_MASKED_PATHS)];
    linux.readonlyPaths = [...(hc.ReadonlyPaths ?? DEFAULT_READONLY_PATHS)];
  }

  const spec: Spec = { ociVersion: OCI_VERSION, process, root: { path: input.rootfsPath, ...(ro ? { readonly: true } : {}) } };
  if (hc.UTSMode !== 'host') spec.hostname = hostname;
  if (config.Domainname) spec.domainname = config.Domainname;
  spec.mounts = mounts;
  spec.hooks = {};
  spec.linux = linux;
  return { spec, warnings };
}

function mergeDevices(defaults: readonly Device[], hostDevices: readonly Device[]): Device[] {
  const byPath = new Map<string, Device>();
  for (const d of [...defaults, ...hostDevices]) byPath.set(d.path, { ...d });
  return [...byPath.values()];
}

/** A `--security-opt seccomp=<profile JSON>` (Docker's profile format: archMap, syscalls with includes/excludes). */
function parseProfile(text: string): SeccompProfile {
  let p: Partial<SeccompProfile>;
  try {
    p = JSON.parse(text) as typeof p;
  } catch (e) {
    throw new BerthError('invalid_argument', `Decoding seccomp profile failed: ${(e as Error).message}`);
  }
  if (!p.defaultAction) throw new BerthError('invalid_argument', 'Decoding seccomp profile failed: no defaultAction');
  if (p.architectures?.length && p.archMap?.length) {
    throw new BerthError('invalid_argument', "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  return { ...p, defaultAction: p.defaultAction, archMap: p.archMap ?? [], syscalls: p.syscalls ?? [] };
}
