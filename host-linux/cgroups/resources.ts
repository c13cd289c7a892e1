// The resource limits a container's cgroup carries: the part of Docker's HostConfig that maps onto
// cgroup files. Structural, so either HostConfig type in core can be passed as it is.

export interface CgroupResources {
  /** Bytes; 0: unlimited. */
  Memory?: number;
  /** Memory plus swap, bytes; -1: unlimited swap; 0: unset (dockerd makes it twice Memory). */
  MemorySwap?: number;
  /** Soft limit, bytes. */
  MemoryReservation?: number;
  /** v1 memory.swappiness 0..100; null or -1: the host's. */
  MemorySwappiness?: number | null;
  /** v1: the OOM killer leaves the cgroup alone (its processes wait for memory instead). */
  OomKillDisable?: boolean | null;
  /** CPUs in units of 1e-9 (`--cpus 1.5` is 1.5e9); becomes a CFS quota over a 100 ms period. */
  NanoCpus?: number;
  /** Relative weight, v1 cpu.shares (default 1024). */
  CpuShares?: number;
  /** CFS period, microseconds. */
  CpuPeriod?: number;
  /** CFS quota, microseconds; -1 or 0: unlimited. */
  CpuQuota?: number;
  /** CPUs the container may run on, e.g. `0-1` or `0,2`. */
  CpusetCpus?: string;
  /** Memory nodes, e.g. `0`. */
  CpusetMems?: string;
  /** Maximum number of tasks; 0, -1 or null: unlimited. */
  PidsLimit?: number | null;
  /** Block I/O weight 10..1000; 0: unset. */
  BlkioWeight?: number;
  /** Docker's per-device lists (host paths), checked against what the host supports; applied from blockIO. */
  BlkioWeightDevice?: { Path: string; Weight: number }[] | null;
  BlkioDeviceReadBps?: { Path: string; Rate: number }[] | null;
  BlkioDeviceWriteBps?: { Path: string; Rate: number }[] | null;
  BlkioDeviceReadIOps?: { Path: string; Rate: number }[] | null;
  BlkioDeviceWriteIOps?: { Path: string; Rate: number }[] | null;
  /** The per-device block I/O limits in the OCI spec's form (linux.resources.blockIO), paths resolved to major:minor. */
  blockIO?: BlockIO;
  /**
   * Device access rules in the OCI spec's form (linux.resources.devices), applied in order; the
   * first is usually "deny all". v1: devices.allow/deny; cgroup2: a BPF program (v2/devices.ts).
   * Absent: the rules stay as they are.
   */
  devices?: DeviceRule[];
}

export interface DeviceRate { major: number; minor: number; rate: number }

export interface BlockIO {
  weightDevice?: { major: number; minor: number; weight?: number }[];
  throttleReadBpsDevice?: DeviceRate[];
  throttleWriteBpsDevice?: DeviceRate[];
  throttleReadIOPSDevice?: DeviceRate[];
  throttleWriteIOPSDevice?: DeviceRate[];
}

export interface DeviceRule {
  allow: boolean;
  /** `a` (all), `c` or `b`; absent: all. */
  type?: 'a' | 'c' | 'b';
  /** Absent or negative: any. */
  major?: number;
  minor?: number;
  /** Some of `rwm`; absent: all. */
  access?: string;
}

/** The CFS period dockerd uses for --cpus (100 ms). */
export const DEFAULT_CFS_PERIOD = 100_000;

/**
 * The CFS quota and period (µs) the resources ask for (quota -1: unlimited), or undefined when
 * they name none of NanoCpus, CpuQuota, CpuPeriod (an update that leaves the CPU limit alone).
 */
export function cfsBandwidth(r: CgroupResources): { quota: number; period: number } | undefined {
  if (r.NanoCpus === undefined && r.CpuQuota === undefined && r.CpuPeriod === undefined) return undefined;
  if (r.NanoCpus && r.NanoCpus > 0) {
    return { quota: Math.round((r.NanoCpus * DEFAULT_CFS_PERIOD) / 1e9), period: DEFAULT_CFS_PERIOD };
  }
  return { quota: r.CpuQuota && r.CpuQuota > 0 ? r.CpuQuota : -1, period: r.CpuPeriod && r.CpuPeriod > 0 ? r.CpuPeriod : DEFAULT_CFS_PERIOD };
}

/** PidsLimit as a cgroup value: a positive count, or undefined for unlimited. */
export function pidsMax(limit: number | null | undefined): number | undefined {
  return limit !== null && limit !== undefined && limit > 0 ? limit : undefined;
}
