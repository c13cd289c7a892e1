// The container model as the Engine API shows it (dockerd's container.Container, the create body
// `POST /containers/create` and the inspect JSON `GET /containers/{id}/json`, API 1.41+), and the record
// the daemon keeps. Field names are the wire names; every create field is optional because clients
// send subsets.
import type { ContainerConfig as ImageRuntimeConfig, HealthConfig } from '../../image/types.ts';

/** `Config`: the create body's top level, also what inspect shows merged with the image's config. */
export interface ContainerConfig extends ImageRuntimeConfig {
  Hostname?: string;
  Domainname?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Image?: string;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  StopTimeout?: number | null;
  Healthcheck?: HealthConfig;
  /** Fields berth does not act on are kept as sent, so inspect round-trips them. */
  [key: string]: unknown;
}

export interface RestartPolicy {
  /** '' | 'no' | 'always' | 'unless-stopped' | 'on-failure' */
  Name: string;
  MaximumRetryCount?: number;
}

export interface PortBinding { HostIp?: string; HostPort?: string }

export interface Ulimit { Name: string; Soft: number; Hard: number }

export interface DeviceMapping { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }

export interface WeightDevice { Path: string; Weight: number }
export interface ThrottleDevice { Path: string; Rate: number }

export interface LogConfig { Type: string; Config?: Record<string, string> }

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';

/** One `--mount` (HostConfig.Mounts entry). */
export interface Mount {
  Type: MountType;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: {
    Propagation?: '' | 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
    NonRecursive?: boolean;
    CreateMountpoint?: boolean;
    ReadOnlyNonRecursive?: boolean;
    ReadOnlyForceRecursive?: boolean;
  };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    Subpath?: string;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: {
    SizeBytes?: number;
    Mode?: number;
    /** Extra tmpfs flags as [name] or [name, value] pairs (API 1.46). */
    Options?: string[][];
  };
}

export interface HostConfig {
  // Host side of the container.
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: LogConfig;
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[] | null> | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  ConsoleSize?: [number, number];
  Annotations?: Record<string, string>;
  // Isolation and privileges.
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: '' | 'host' | 'private';
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Isolation?: string;
  // Resources.
  CpuShares?: number;
  Memory?: number;
  NanoCpus?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: WeightDevice[] | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: unknown[] | null;
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
  // Mounts and the rest.
  Mounts?: Mount[] | null;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  Init?: boolean | null;
  [key: string]: unknown;
}

export interface EndpointIPAMConfig { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] }

export interface EndpointSettings {
  IPAMConfig?: EndpointIPAMConfig | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  DNSNames?: string[] | null;
}

export interface NetworkingConfig { EndpointsConfig?: Record<string, EndpointSettings | null> | null }

/** The body of `POST /containers/create`: Config at the top level, plus HostConfig and NetworkingConfig. */
export interface CreateBody extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: NetworkingConfig | null;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  /** RFC 3339 with nanoseconds; unset times are `0001-01-01T00:00:00Z`. */
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string; FailingStreak: number; Log: { Start: string; End: string; ExitCode: number; Output: string }[] };
}

/** One entry of inspect's `Mounts` (and of `/containers/json`'s). */
export interface MountPoint {
  Type: MountType;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface NetworkSettings {
  Bridge: string;
  SandboxID: string;
  HairpinMode?: boolean;
  LinkLocalIPv6Address?: string;
  LinkLocalIPv6PrefixLen?: number;
  Ports: Record<string, PortBinding[] | null>;
  SandboxKey: string;
  SecondaryIPAddresses?: unknown[] | null;
  SecondaryIPv6Addresses?: unknown[] | null;
  EndpointID: string;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  MacAddress: string;
  Networks: Record<string, EndpointSettings>;
}

/** What the daemon keeps per container (config.v2.json): the inspect JSON plus private fields. */
export interface ContainerRecord {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  /** The image ID (`sha256:...`). */
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  /** With the leading `/`. */
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: HostConfig;
  Mounts: MountPoint[];
  Config: ContainerConfig;
  NetworkSettings: Record<string, unknown>;
  /** Set by `docker stop`/`kill` so restart policies and unless-stopped know the user stopped it. */
  HasBeenManuallyStopped?: boolean;
  /** The image's layers, top last (as rootfs.diff_ids). */
  LayerDiffIDs?: string[];
  /** Network ID -> the interface its endpoint has inside the container (`eth0`), for `network disconnect`. */
  BerthInterfaces?: Record<string, string>;
  /** Network name -> the MAC address the user asked for on it (`--mac-address`), kept across starts. */
  BerthMacAddresses?: Record<string, string>;
}

/** An exec instance (dockerd's exec.Config), as `GET /exec/{id}/json` shows it. */
export interface ExecRecord {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  CanRemove: boolean;
  DetachKeys: string;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
  Env: string[];
  WorkingDir: string;
  User: string;
  Privileged: boolean;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';
