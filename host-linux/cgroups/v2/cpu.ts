// cgroup2 cpu controller: cpu.weight (1..10000, default 100) in place of v1 shares, cpu.max
// ("$MAX $PERIOD", MAX "max" for no limit) in place of cfs quota/period. cpu.stat is a core file,
// present in every cgroup2 directory whether or not the controller is enabled.
import { hasCgroupFile, readKeyed, writeCgroupFile } from '../files.ts';
import { cfsBandwidth, type CgroupResources } from '../resources.ts';
import type { CgroupStats } from '../stats.ts';

export function available(dir: string): boolean {
  return hasCgroupFile(dir, 'cpu.max');
}

/** v1 shares (2..262144, default 1024) onto cgroup2's weight (1..10000), the linear map runc uses. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

export function applyCpu(dir: string, r: CgroupResources): void {
  if (r.CpuShares && r.CpuShares > 0) writeCgroupFile(dir, 'cpu.weight', Math.min(10000, Math.max(1, sharesToWeight(r.CpuShares))));
  const cfs = cfsBandwidth(r);
  if (cfs) writeCgroupFile(dir, 'cpu.max', `${cfs.quota > 0 ? cfs.quota : 'max'} ${cfs.period}`);
}

/** cpu.stat counts microseconds; Docker reports nanoseconds. */
export function cpuStats(dir: string): Pick<CgroupStats['cpu_stats'], 'cpu_usage' | 'throttling_data'> {
  const s = readKeyed(dir, 'cpu.stat');
  return {
    cpu_usage: {
      total_usage: (s['usage_usec'] ?? 0) * 1000,
      usage_in_kernelmode: (s['system_usec'] ?? 0) * 1000,
      usage_in_usermode: (s['user_usec'] ?? 0) * 1000,
    },
    throttling_data: { periods: s['nr_periods'] ?? 0, throttled_periods: s['nr_throttled'] ?? 0, throttled_time: (s['throttled_usec'] ?? 0) * 1000 },
  };
}
