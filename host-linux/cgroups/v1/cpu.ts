// v1 cpu controller: shares and CFS bandwidth (quota/period), and the throttling counters.
import { BerthError } from '../../../core/errors.ts';
import { readKeyed, readNumber, writeCgroupFile } from '../files.ts';
import { cfsBandwidth, type CgroupResources } from '../resources.ts';
import type { CgroupStats } from '../stats.ts';

export function applyCpu(dir: string, r: CgroupResources): void {
  if (r.CpuShares && r.CpuShares > 0) {
    writeCgroupFile(dir, 'cpu.shares', r.CpuShares);
    // The kernel clamps shares to 2..262144 silently; say so as runc does.
    const got = readNumber(dir, 'cpu.shares');
    if (got !== undefined && got !== r.CpuShares) {
      const bound = r.CpuShares > got ? 'maximum' : 'minimum';
      throw new BerthError('invalid_argument', `the ${bound} allowed cpu-shares is ${got}`);
    }
  }
  const cfs = cfsBandwidth(r);
  if (!cfs) return;
  // The kernel checks quota against the period at each write: if the new period is refused with
  // the old quota, set the quota first.
  try {
    writeCgroupFile(dir, 'cpu.cfs_period_us', cfs.period);
  } catch {
    writeCgroupFile(dir, 'cpu.cfs_quota_us', cfs.quota);
    writeCgroupFile(dir, 'cpu.cfs_period_us', cfs.period);
    return;
  }
  writeCgroupFile(dir, 'cpu.cfs_quota_us', cfs.quota);
}

export function throttling(dir: string): CgroupStats['cpu_stats']['throttling_data'] {
  const s = readKeyed(dir, 'cpu.stat');
  return { periods: s['nr_periods'] ?? 0, throttled_periods: s['nr_throttled'] ?? 0, throttled_time: s['throttled_time'] ?? 0 };
}
