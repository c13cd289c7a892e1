// The parts of Docker's stats JSON (GET /containers/{id}/stats) that come from the cgroup, shaped
// as dockerd sends them for each cgroup version, plus the host figures the CLI divides by.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

export interface BlkioEntry { major: number; minor: number; op: string; value: number }

export interface CgroupStats {
  memory_stats: {
    usage?: number;
    /** v1 only (dockerd leaves it out on cgroup2). */
    max_usage?: number;
    failcnt?: number;
    limit?: number;
    stats?: Record<string, number>;
  };
  cpu_stats: {
    cpu_usage: {
      total_usage: number;
      /** v1 only. */
      percpu_usage?: number[];
      usage_in_kernelmode: number;
      usage_in_usermode: number;
    };
    system_cpu_usage: number;
    online_cpus: number;
    throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
  };
  pids_stats: { current?: number; limit?: number };
  blkio_stats: {
    io_service_bytes_recursive: BlkioEntry[] | null;
    io_serviced_recursive: BlkioEntry[] | null;
    io_queue_recursive: BlkioEntry[] | null;
    io_service_time_recursive: BlkioEntry[] | null;
    io_wait_time_recursive: BlkioEntry[] | null;
    io_merged_recursive: BlkioEntry[] | null;
    io_time_recursive: BlkioEntry[] | null;
    sectors_recursive: BlkioEntry[] | null;
  };
  /** Processes in the cgroup (dockerd reports it on Windows only; the CLI ignores it on Linux). */
  num_procs: number;
}

/** Clock ticks per second (USER_HZ), 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;
const NS_PER_TICK = 1e9 / CLOCK_TICKS;

/**
 * The host's CPU time in nanoseconds, as dockerd computes system_cpu_usage: the sum of the
 * first seven fields of /proc/stat's `cpu` line (user nice system idle iowait irq softirq).
 */
export function systemCpuUsage(procStat = readFileSync('/proc/stat', 'utf8')): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const fields = line.trim().split(/\s+/).slice(1, 8).map(Number);
  return fields.reduce((a, b) => a + b, 0) * NS_PER_TICK;
}

export function ticksToNs(ticks: number): number {
  return ticks * NS_PER_TICK;
}

/** Online CPUs (/sys/devices/system/cpu/online, e.g. `0-1`), as dockerd's sysconf(_SC_NPROCESSORS_ONLN). */
export function onlineCpus(): number {
  try {
    return parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8').trim()).length;
  } catch {
    return 1;
  }
}

/** The host's memory, the limit dockerd reports for a container without one. */
export function hostMemory(): number {
  return totalmem();
}

/** `0-3,5` -> [0,1,2,3,5]; throws on a malformed list. */
export function parseCpuList(list: string): number[] {
  const out = new Set<number>();
  if (list.trim() === '') return [];
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid format: ${list}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`invalid format: ${list}`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

export function emptyBlkio(): CgroupStats['blkio_stats'] {
  return {
    io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null,
    io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null,
    io_time_recursive: null, sectors_recursive: null,
  };
}
