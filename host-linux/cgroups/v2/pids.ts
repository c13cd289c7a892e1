// cgroup2 pids controller: pids.max ("max" or a count) and pids.current.
import { hasCgroupFile, readNumber, writeCgroupFile } from '../files.ts';
import type { CgroupResources } from '../resources.ts';
import type { CgroupStats } from '../stats.ts';

export function available(dir: string): boolean {
  return hasCgroupFile(dir, 'pids.max');
}

export function applyPids(dir: string, r: CgroupResources): void {
  if (r.PidsLimit === undefined || r.PidsLimit === null) return;
  writeCgroupFile(dir, 'pids.max', r.PidsLimit > 0 ? r.PidsLimit : 'max');
}

export function pidsStats(dir: string): CgroupStats['pids_stats'] {
  const limit = readNumber(dir, 'pids.max');
  return { current: readNumber(dir, 'pids.current') ?? 0, ...(limit ? { limit } : {}) };
}
