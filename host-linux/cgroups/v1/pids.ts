// v1 pids controller: the task limit (fork fails with EAGAIN past it) and pids_stats.
import { readNumber, writeCgroupFile } from '../files.ts';
import type { CgroupResources } from '../resources.ts';
import type { CgroupStats } from '../stats.ts';

/** PidsLimit: absent leaves it; 0 or -1 lifts it; N caps it. */
export function applyPids(dir: string, r: CgroupResources): void {
  if (r.PidsLimit === undefined || r.PidsLimit === null) return;
  writeCgroupFile(dir, 'pids.max', r.PidsLimit > 0 ? r.PidsLimit : 'max');
}

export function pidsStats(dir: string): CgroupStats['pids_stats'] {
  const limit = readNumber(dir, 'pids.max');
  return { current: readNumber(dir, 'pids.current') ?? 0, ...(limit ? { limit } : {}) };
}
