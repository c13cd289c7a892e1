// The container model as the Engine API shows it (dockerd's container.Container and its inspect
// JSON). Fields berth does not act on yet are kept as sent, so inspect round-trips them.
import type { ContainerConfig as ImageRuntimeConfig } from '../../image/types.ts';

/** The `Config` of a container: what the create body carries at its top level. */
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
  StopTimeout?: number;
  [key: string]: unknown;
}

export interface RestartPolicy { Name: string; MaximumRetryCount: number }

export interface HostConfig {
  Binds?: string[] | null;
  NetworkMode?: string;
  PortBindings?: Record<string, { HostIp: string; HostPort: string }[]> | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  PidsLimit?: number | null;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  Init?: boolean | null;
  LogConfig?: { Type: string; Config: Record<string, string> };
  ConsoleSize?: [number, number];
  [key: string]: unknown;
}

/** The create body: Config at the top level, plus HostConfig and NetworkingConfig. */
export interface CreateBody extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> } | null;
}

export type StateStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: StateStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export interface MountPoint {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
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
