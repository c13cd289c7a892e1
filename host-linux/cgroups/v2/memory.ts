// cgroup2 memory controller (Documentation/admin-guide/cgroup-v2.rst, "Memory"): memory.max,
// memory.swap.max (swap alone, where v1 limits memory+swap), memory.low for the reservation,
// memory.events for OOM kills, memory.current and memory.stat for Docker's memory_stats.
import { BerthError } from '../../../core/errors.ts';
import { hasCgroupFile, readCgroupFile, readKeyed, readNumber, writeCgroupFile } from '../files.ts';
import type { CgroupResources } from '../resources.ts';
import { hostMemory, type CgroupStats } from '../stats.ts';

export function available(dir: string): boolean {
  return hasCgroupFile(dir, 'memory.max');
}

/**
 * Docker's MemorySwap (memory + swap) as memory.swap.max, converted as runc does: -1 is
 * unlimited, 0 leaves it, otherwise the swap part alone.
 */
export function swapMax(memorySwap: number, memory: number): number | 'max' | undefined {
  if (memory === -1 && memorySwap === 0) return 'max';
  if (memorySwap === -1) return 'max';
  if (memorySwap === 0) return undefined;
  if (memory === 0 || memory === -1) throw new BerthError('invalid_argument', 'unable to set swap limit without memory limit');
  if (memorySwap < memory) throw new BerthError('invalid_argument', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  return memorySwap - memory;
}

export function applyMemory(dir: string, r: CgroupResources): void {
  const memory = r.Memory ?? 0;
  const swap = swapMax(r.MemorySwap ?? 0, memory);
  // Swap first, as runc does: lowering memory.max below the usage makes the kernel reclaim, and
  // reclaim may push pages to swap.
  if (swap !== undefined && hasCgroupFile(dir, 'memory.swap.max')) writeCgroupFile(dir, 'memory.swap.max', swap);
  if (memory !== 0) {
    try {
      writeCgroupFile(dir, 'memory.max', memory === -1 ? 'max' : memory);
    } catch (e) {
      if (e instanceof BerthError && /EBUSY/.test(e.message)) {
        throw new BerthError('invalid_argument', `unable to set memory limit to ${memory} (current usage: ${readNumber(dir, 'memory.current') ?? 0})`, { cause: e });
      }
      throw e;
    }
  }
  if (r.MemoryReservation && r.MemoryReservation > 0) writeCgroupFile(dir, 'memory.low', r.MemoryReservation);
}

export function oomKills(dir: string): number {
  return readKeyed(dir, 'memory.events')['oom_kill'] ?? 0;
}

/** The memory.stat keys dockerd copies into memory_stats.stats on cgroup2. */
const DOCKER_KEYS = [
  'anon', 'file', 'kernel_stack', 'slab', 'sock', 'shmem', 'file_mapped', 'file_dirty', 'file_writeback', 'anon_thp',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'slab_reclaimable', 'slab_unreclaimable',
  'pgfault', 'pgmajfault', 'workingset_refault', 'workingset_activate', 'workingset_nodereclaim', 'pgrefill', 'pgscan',
  'pgsteal', 'pgactivate', 'pgdeactivate', 'pglazyfree', 'pglazyfreed', 'thp_fault_alloc', 'thp_collapse_alloc',
];

export function memoryStats(dir: string): CgroupStats['memory_stats'] {
  const raw = readKeyed(dir, 'memory.stat');
  const stats: Record<string, number> = {};
  for (const k of DOCKER_KEYS) stats[k] = raw[k] ?? 0;
  // Newer kernels split workingset counters per type; dockerd's names are the anon+file sums.
  for (const k of ['workingset_refault', 'workingset_activate']) {
    if (raw[k] === undefined) stats[k] = (raw[`${k}_anon`] ?? 0) + (raw[`${k}_file`] ?? 0);
  }
  const max = (readCgroupFile(dir, 'memory.max') ?? 'max').trim();
  const machine = hostMemory();
  const limit = max === 'max' ? machine : Math.min(Number(max), machine);
  const failcnt = readKeyed(dir, 'memory.events')['oom'] ?? 0;
  return { usage: readNumber(dir, 'memory.current') ?? 0, ...(failcnt ? { failcnt } : {}), stats, limit };
}
