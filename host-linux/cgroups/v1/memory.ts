// v1 memory controller: limit, memory+swap limit (when swap accounting is on), soft limit, the
// OOM-kill counter, and Docker's memory_stats.
import { BerthError } from '../../../core/errors.ts';
import { hasCgroupFile, readKeyed, readNumber, writeCgroupFile } from '../files.ts';
import type { CgroupResources } from '../resources.ts';
import { hostMemory, type CgroupStats } from '../stats.ts';

const LIMIT = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';

/** Whether the kernel accounts swap (memory.memsw.* exist); without it --memory-swap is ignored. */
export function swapAccounting(dir: string): boolean {
  return hasCgroupFile(dir, MEMSW);
}

export function applyMemory(dir: string, r: CgroupResources): void {
  const memory = r.Memory ?? 0;
  let swap = swapAccounting(dir) ? r.MemorySwap ?? 0 : 0;
  if (memory === -1 && swap === 0) swap = -1;
  // The kernel keeps memsw >= limit at every step, so the order of the two writes depends on
  // whether the limits grow or shrink (as runc orders them).
  if (memory !== 0 && swap !== 0) {
    const current = readNumber(dir, LIMIT) ?? Infinity;
    if (swap === -1 || current < swap) {
      writeCgroupFile(dir, MEMSW, swap);
      setLimit(dir, memory);
    } else {
      setLimit(dir, memory);
      writeCgroupFile(dir, MEMSW, swap);
    }
  } else {
    if (memory !== 0) setLimit(dir, memory);
    if (swap !== 0) writeCgroupFile(dir, MEMSW, swap);
  }
  if (r.MemoryReservation && r.MemoryReservation > 0) writeCgroupFile(dir, 'memory.soft_limit_in_bytes', r.MemoryReservation);
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && r.MemorySwappiness >= 0) writeCgroupFile(dir, 'memory.swappiness', r.MemorySwappiness);
  if (r.OomKillDisable) writeCgroupFile(dir, 'memory.oom_control', 1);
}

function setLimit(dir: string, memory: number): void {
  try {
    writeCgroupFile(dir, LIMIT, memory);
  } catch (e) {
    // EBUSY: the processes already use more than the new limit and the kernel could not reclaim it.
    if (e instanceof BerthError && /EBUSY/.test(e.message)) {
      throw new BerthError('invalid_argument', `unable to set memory limit to ${memory} (current usage: ${readNumber(dir, 'memory.usage_in_bytes') ?? 0}, peak usage: ${readNumber(dir, 'memory.max_usage_in_bytes') ?? 0})`, { cause: e });
    }
    throw e;
  }
}

/** How many processes the OOM killer killed in this cgroup (memory.oom_control, kernel 4.13+). */
export function oomKills(dir: string): number {
  return readKeyed(dir, 'memory.oom_control')['oom_kill'] ?? 0;
}

/** The memory.stat keys dockerd copies into memory_stats.stats on cgroup v1. */
const DOCKER_KEYS = [
  'cache', 'rss', 'rss_huge', 'mapped_file', 'dirty', 'writeback', 'pgpgin', 'pgpgout', 'pgfault', 'pgmajfault',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'hierarchical_memory_limit',
  'hierarchical_memsw_limit', 'total_cache', 'total_rss', 'total_rss_huge', 'total_mapped_file', 'total_dirty',
  'total_writeback', 'total_pgpgin', 'total_pgpgout', 'total_pgfault', 'total_pgmajfault', 'total_inactive_anon',
  'total_active_anon', 'total_inactive_file', 'total_active_file', 'total_unevictable',
];

export function memoryStats(dir: string): CgroupStats['memory_stats'] {
  const raw = readKeyed(dir, 'memory.stat');
  const stats: Record<string, number> = {};
  for (const k of DOCKER_KEYS) stats[k] = raw[k] ?? 0;
  // Unlimited reads as a huge number; dockerd reports the host's memory then.
  const limit = raw['hierarchical_memory_limit'] ?? readNumber(dir, LIMIT) ?? Infinity;
  const machine = hostMemory();
  const failcnt = readNumber(dir, 'memory.failcnt') ?? 0;
  // dockerd leaves failcnt out when it is 0 (omitempty).
  return {
    usage: readNumber(dir, 'memory.usage_in_bytes') ?? 0,
    max_usage: readNumber(dir, 'memory.max_usage_in_bytes') ?? 0,
    ...(failcnt ? { failcnt } : {}),
    stats,
    limit: limit > machine ? machine : limit,
  };
}
