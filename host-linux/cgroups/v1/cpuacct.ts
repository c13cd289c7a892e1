// v1 cpuacct controller: CPU time used, in total, per CPU, and split user/kernel.
import { readCgroupFile, readKeyed, readNumber } from '../files.ts';
import { ticksToNs, type CgroupStats } from '../stats.ts';

export function cpuUsage(dir: string): CgroupStats['cpu_stats']['cpu_usage'] {
  const percpu = (readCgroupFile(dir, 'cpuacct.usage_percpu') ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  // cpuacct.stat counts USER_HZ ticks; Docker reports nanoseconds.
  const stat = readKeyed(dir, 'cpuacct.stat');
  return {
    total_usage: readNumber(dir, 'cpuacct.usage') ?? 0,
    percpu_usage: percpu,
    usage_in_kernelmode: ticksToNs(stat['system'] ?? 0),
    usage_in_usermode: ticksToNs(stat['user'] ?? 0),
  };
}
