// The OCI runtime spec (config.json, runtime-spec 1.0.2 as runc and containerd write it), Linux parts.
// Optional fields are left out of the JSON when unset, as Go's omitempty does.

export interface Spec {
  ociVersion: string;
  process?: Process;
  root?: Root;
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

export interface Root { path: string; readonly?: boolean }

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: User;
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  username?: string;
}

export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface Rlimit { type: string; hard: number; soft: number }

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface Hook { path: string; args?: string[]; env?: string[]; timeout?: number }

export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

export interface Namespace { type: NamespaceType; path?: string }

export interface IDMapping { containerID: number; hostID: number; size: number }

export interface Device {
  path: string;
  type: 'c' | 'b' | 'u' | 'p';
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface DeviceCgroup {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access?: string;
}

export interface MemoryResources {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
}

export interface CPUResources {
  shares?: number;
  quota?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
}

export interface BlockIOResources {
  weight?: number;
  leafWeight?: number;
  weightDevice?: { major: number; minor: number; weight?: number; leafWeight?: number }[];
  throttleReadBpsDevice?: { major: number; minor: number; rate: number }[];
  throttleWriteBpsDevice?: { major: number; minor: number; rate: number }[];
  throttleReadIOPSDevice?: { major: number; minor: number; rate: number }[];
  throttleWriteIOPSDevice?: { major: number; minor: number; rate: number }[];
}

export interface Resources {
  devices?: DeviceCgroup[];
  memory?: MemoryResources;
  cpu?: CPUResources;
  pids?: { limit: number };
  blockIO?: BlockIOResources;
  unified?: Record<string, string>;
}

export type SeccompAction =
  | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE' | 'SCMP_ACT_ALLOW' | 'SCMP_ACT_LOG' | 'SCMP_ACT_NOTIFY';

export type SeccompOperator =
  | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

export interface SeccompArg { index: number; value: number; valueTwo?: number; op: SeccompOperator }

export interface Syscall { names: string[]; action: SeccompAction; errnoRet?: number; args?: SeccompArg[] }

export interface Seccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: Syscall[];
}

export interface Linux {
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
  sysctl?: Record<string, string>;
  resources?: Resources;
  cgroupsPath?: string;
  namespaces?: Namespace[];
  devices?: Device[];
  seccomp?: Seccomp;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
}
