// A new container's record from the create body and its image, with dockerd's defaults: the image
// config merged under the container's (daemon/create.go merge), HostConfig defaults filled.
import type { ImageConfig } from '../../image/types.ts';
import { BerthError } from '../../errors.ts';
import type { ContainerConfig, ContainerRecord, CreateBody, HostConfig } from './types.ts';
import { ZERO_TIME } from './types.ts';
import { parseSignal } from './signals.ts';
import { containerHostname } from '../../runtime-spec/spec.ts';
import { mergeImageConfig as mergeWithImage } from '../../runtime-spec/process.ts';

const HOST_CONFIG_DEFAULTS: HostConfig = {
  Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: 'default', PortBindings: {},
  RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null,
  CapAdd: null, CapDrop: null, CgroupnsMode: 'host', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null,
  GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false,
  PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 67108864,
  Runtime: 'runc', ConsoleSize: [0, 0], Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '',
  BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [],
  BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '',
  CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null, KernelMemory: 0, KernelMemoryTCP: 0,
  MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false, PidsLimit: null, Ulimits: [],
  CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
  MaskedPaths: ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
    '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'],
  ReadonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
};

/** Fields the API carries as `null` but that mean "empty"; dockerd shows the defaults instead. */
function withDefaults(hc: HostConfig | undefined): HostConfig {
  const out: HostConfig = structuredClone(HOST_CONFIG_DEFAULTS);
  for (const [k, v] of Object.entries(hc ?? {})) {
    if (v === null || v === undefined) continue;
    const d = (HOST_CONFIG_DEFAULTS as Record<string, unknown>)[k];
    if (v === '' && typeof d === 'string' && d !== '') continue;
    if (k === 'RestartPolicy' && !(v as { Name?: string }).Name) continue;
    if (k === 'LogConfig' && !(v as { Type?: string }).Type) continue;
    if (k === 'NetworkMode' && v === '') continue;
    if (k === 'ShmSize' && v === 0) continue;
    (out as Record<string, unknown>)[k] = v;
  }
  if (hc?.Privileged) { out.MaskedPaths = []; out.ReadonlyPaths = []; }
  // dockerd: a memory limit without a swap limit allows as much swap again.
  if ((out.Memory ?? 0) > 0 && !out.MemorySwap) out.MemorySwap = out.Memory! * 2;
  return out;
}

/** dockerd's create-time checks that do not need the host (runconfig and daemon/container.go). */
export function validateCreate(config: ContainerConfig, hc: HostConfig): void {
  const rp = { Name: 'no', ...hc.RestartPolicy, MaximumRetryCount: hc.RestartPolicy?.MaximumRetryCount ?? 0 };
  if (!['no', 'always', 'unless-stopped', 'on-failure', ''].includes(rp.Name)) {
    throw new BerthError('invalid_argument', `invalid restart policy '${rp.Name}'`);
  }
  if (rp.MaximumRetryCount < 0) throw new BerthError('invalid_argument', 'invalid restart policy: maximum retry count cannot be negative');
  if (rp.MaximumRetryCount > 0 && rp.Name !== 'on-failure') {
    throw new BerthError('invalid_argument', `invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  if (hc.AutoRemove && rp.Name !== 'no' && rp.Name !== '') {
    throw new BerthError('invalid_argument', `can't create 'AutoRemove' container with restart policy`);
  }
  if ((hc.Memory ?? 0) > 0 && hc.Memory! < 6 * 1024 * 1024) throw new BerthError('invalid_argument', 'Minimum memory limit allowed is 6MB');
  if ((hc.MemorySwap ?? 0) > 0 && (hc.Memory ?? 0) > 0 && hc.MemorySwap! < hc.Memory!) {
    throw new BerthError('invalid_argument', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if ((hc.MemorySwap ?? 0) > 0 && !(hc.Memory ?? 0)) {
    throw new BerthError('invalid_argument', 'You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit < -1) {
    throw new BerthError('invalid_argument', 'invalid pids limit: must be -1 (unlimited) or a positive number');
  }
  if ((hc.NanoCpus ?? 0) > 0 && ((hc.CpuPeriod ?? 0) > 0 || (hc.CpuQuota ?? 0) > 0)) {
    throw new BerthError('invalid_argument', 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (config.StopTimeout !== undefined && config.StopTimeout !== null && config.StopTimeout < -1) {
    throw new BerthError('invalid_argument', 'invalid stop timeout: must be -1 or greater');
  }
  // dockerd's verifyContainerSettings: refused at create, not at start.
  if (config.WorkingDir && !config.WorkingDir.startsWith('/')) {
    throw new BerthError('invalid_argument', `the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  if (config.StopSignal) parseSignal(config.StopSignal);
}

/**
 * The container's Config with the image's defaults merged in (what inspect shows): dockerd's merge
 * (core/runtime-spec: the body's Env first, then the image's it does not override; an Entrypoint
 * from the body drops the image's Cmd; `--entrypoint ""` clears both) over inspect's empty fields.
 */
export function mergeImageConfig(body: CreateBody, image: ImageConfig): ContainerConfig {
  const { HostConfig: _h, NetworkingConfig: _n, ...config } = body;
  const merged = mergeWithImage(config, image.config);
  const defaults: ContainerConfig = {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false,
    OpenStdin: false, StdinOnce: false, Env: [], Cmd: null, Image: '', Volumes: null as unknown as undefined, WorkingDir: '', Entrypoint: null,
    OnBuild: null, Labels: {},
  };
  const out: ContainerConfig = { ...defaults };
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) out[k] = v;
  return out;
}

export function networkSettings(mode: string, sandboxId: string): Record<string, unknown> {
  const net = mode === 'default' || mode === '' ? 'bridge' : mode;
  return {
    Bridge: '', SandboxID: sandboxId, HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, Ports: {},
    SandboxKey: '', SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '',
    GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
    Networks: {
      [net]: {
        IPAMConfig: null, Links: null, Aliases: null, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '',
        IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null,
      },
    },
  };
}

export function newRecord(opts: {
  id: string; name: string; body: CreateBody; image: { id: string; config: ImageConfig }; now: Date;
  /** The host's hostname, which a `--network host` container takes. */
  hostHostname?: string;
}): ContainerRecord {
  const { id, body, image } = opts;
  const hostConfig = withDefaults(body.HostConfig);
  const config = mergeImageConfig(body, image.config);
  config.Hostname = containerHostname(id, config, hostConfig, opts.hostHostname);
  validateCreate(config, hostConfig);
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (!argv.length) throw new BerthError('invalid_argument', 'No command specified');
  if (hostConfig.NetworkMode === 'none' || hostConfig.NetworkMode === 'host') config.NetworkDisabled = hostConfig.NetworkMode === 'none' ? true : config.NetworkDisabled;
  return {
    Id: id,
    Created: opts.now.toISOString(),
    Path: argv[0]!,
    Args: argv.slice(1),
    State: {
      Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0,
      ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
    },
    Image: image.id,
    ResolvConfPath: '', HostnamePath: '', HostsPath: '', LogPath: '',
    Name: opts.name,
    RestartCount: 0,
    Driver: 'overlay2',
    Platform: image.config.os || 'linux',
    MountLabel: '', ProcessLabel: '', AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: hostConfig,
    Mounts: [],
    Config: config,
    NetworkSettings: networkSettings(hostConfig.NetworkMode ?? 'default', ''),
    LayerDiffIDs: image.config.rootfs.diff_ids,
  };
}

/** The inspect JSON: the record without berth's private fields. */
export function inspectView(rec: ContainerRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { HasBeenManuallyStopped: _m, LayerDiffIDs: _l, BerthInterfaces: _i, BerthMacAddresses: _a, ...pub } = rec;
  return { ...pub, ...extra };
}
