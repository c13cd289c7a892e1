// dockerd's checks of a container's resources against what the host supports
// (verifyPlatformContainerResources and adaptContainerSettings): what the kernel cannot limit is
// dropped with dockerd's warning, what is wrong is refused with dockerd's message, word for word,
// because the docker CLI prints these to the user (exit 125).
import { availableParallelism } from 'node:os';
import { BerthError } from '../../core/errors.ts';
import type { CgroupLayout } from './detect.ts';
import { hasCgroupFile, readCgroupFile } from './files.ts';
import type { CgroupResources } from './resources.ts';
import { parseCpuList } from './stats.ts';

/** What the host's cgroups can limit (dockerd's sysinfo.SysInfo). */
export interface CgroupSysInfo {
  memoryLimit: boolean;
  swapLimit: boolean;
  memoryReservation: boolean;
  memorySwappiness: boolean;
  oomKillDisable: boolean;
  cpuShares: boolean;
  cpuCfs: boolean;
  cpuset: boolean;
  pidsLimit: boolean;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioReadBpsDevice: boolean;
  blkioWriteBpsDevice: boolean;
  blkioReadIOpsDevice: boolean;
  blkioWriteIOpsDevice: boolean;
  /** CPUs this process may run on (sched_getaffinity), dockerd's sysinfo.NumCPU(). */
  numCpu: number;
  /** The CPUs and memory nodes a cpuset may name, e.g. `0-1` and `0`. */
  cpus: string;
  mems: string;
}

/** Probes the cgroup roots as dockerd does at start. */
export function sysInfo(layout: CgroupLayout): CgroupSysInfo {
  const numCpu = availableParallelism();
  const online = (readCgroupFile('/sys/devices/system/cpu', 'online') ?? `0-${numCpu - 1}`).trim();
  if (layout.version === 1) {
    const root = (c: string) => layout.v1.get(c);
    const has = (c: string, file: string) => { const r = root(c); return r !== undefined && hasCgroupFile(r, file); };
    const cpusetRoot = root('cpuset');
    return {
      memoryLimit: root('memory') !== undefined,
      swapLimit: has('memory', 'memory.memsw.limit_in_bytes'),
      memoryReservation: has('memory', 'memory.soft_limit_in_bytes'),
      memorySwappiness: has('memory', 'memory.swappiness'),
      oomKillDisable: has('memory', 'memory.oom_control'),
      cpuShares: has('cpu', 'cpu.shares'),
      cpuCfs: has('cpu', 'cpu.cfs_quota_us'),
      cpuset: cpusetRoot !== undefined,
      pidsLimit: root('pids') !== undefined,
      blkioWeight: has('blkio', 'blkio.weight') || has('blkio', 'blkio.bfq.weight'),
      blkioWeightDevice: has('blkio', 'blkio.weight_device') || has('blkio', 'blkio.bfq.weight_device'),
      blkioReadBpsDevice: has('blkio', 'blkio.throttle.read_bps_device'),
      blkioWriteBpsDevice: has('blkio', 'blkio.throttle.write_bps_device'),
      blkioReadIOpsDevice: has('blkio', 'blkio.throttle.read_iops_device'),
      blkioWriteIOpsDevice: has('blkio', 'blkio.throttle.write_iops_device'),
      numCpu,
      cpus: cpusetRoot ? (readCgroupFile(cpusetRoot, 'cpuset.effective_cpus') ?? readCgroupFile(cpusetRoot, 'cpuset.cpus') ?? online).trim() : online,
      mems: cpusetRoot ? (readCgroupFile(cpusetRoot, 'cpuset.effective_mems') ?? readCgroupFile(cpusetRoot, 'cpuset.mems') ?? '0').trim() : '0',
    };
  }
  const controllers = new Set(layout.unifiedControllers);
  const root = layout.unified!;
  return {
    memoryLimit: controllers.has('memory'),
    swapLimit: controllers.has('memory'),
    memoryReservation: controllers.has('memory'),
    memorySwappiness: false,
    oomKillDisable: false,
    cpuShares: controllers.has('cpu'),
    cpuCfs: controllers.has('cpu'),
    cpuset: controllers.has('cpuset'),
    pidsLimit: controllers.has('pids'),
    blkioWeight: controllers.has('io'),
    blkioWeightDevice: controllers.has('io'),
    blkioReadBpsDevice: controllers.has('io'),
    blkioWriteBpsDevice: controllers.has('io'),
    blkioReadIOpsDevice: controllers.has('io'),
    blkioWriteIOpsDevice: controllers.has('io'),
    numCpu,
    cpus: controllers.has('cpuset') ? (readCgroupFile(root, 'cpuset.cpus.effective') ?? online).trim() : online,
    mems: controllers.has('cpuset') ? (readCgroupFile(root, 'cpuset.mems.effective') ?? '0').trim() : '0',
  };
}

/** dockerd's per-device block I/O checks: the field, what sysinfo must say, and the warning's words. */
const BLKIO_DEVICE_CHECKS = [
  ['BlkioWeightDevice', 'blkioWeightDevice', 'Block I/O weight_device', 'Weight-device'],
  ['BlkioDeviceReadBps', 'blkioReadBpsDevice', 'BPS Block I/O read limit', 'Block I/O BPS read limit'],
  ['BlkioDeviceWriteBps', 'blkioWriteBpsDevice', 'BPS Block I/O write limit', 'Block I/O BPS write limit'],
  ['BlkioDeviceReadIOps', 'blkioReadIOpsDevice', 'IOPS Block read limit', 'Block I/O IOPS read limit'],
  ['BlkioDeviceWriteIOps', 'blkioWriteIOpsDevice', 'IOPS Block write limit', 'Block I/O IOPS write limit'],
] as const;

/** dockerd's floor for --memory and --memory-reservation. */
export const MIN_MEMORY = 6 * 1024 * 1024;

export interface Validated { resources: CgroupResources; warnings: string[] }

/**
 * Checks `r` (an update when `update`), returning a copy with what the host cannot enforce
 * removed, plus dockerd's defaults for a new container (MemorySwap twice Memory; PidsLimit 0 or
 * negative is unlimited). Throws BerthError invalid_argument with dockerd's message.
 */
export function validateResources(input: CgroupResources, info: CgroupSysInfo, opts: { update?: boolean } = {}): Validated {
  const r: CgroupResources = { ...input };
  const warnings: string[] = [];
  const fail = (message: string): never => { throw new BerthError('invalid_argument', message); };
  const memory = r.Memory ?? 0;

  if (memory !== 0 && memory < MIN_MEMORY) fail('Minimum memory limit allowed is 6MB');
  if (memory > 0 && !info.memoryLimit) {
    warnings.push('Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.Memory = 0;
    r.MemorySwap = -1;
  }
  if ((r.Memory ?? 0) > 0 && r.MemorySwap !== -1 && !info.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    r.MemorySwap = -1;
  }
  const mem = r.Memory ?? 0;
  const swap = r.MemorySwap ?? 0;
  if (mem > 0 && swap > 0 && swap < mem) fail('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (mem === 0 && swap > 0 && !opts.update) fail('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && r.MemorySwappiness !== -1 && !info.memorySwappiness) {
    warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
    r.MemorySwappiness = null;
  }
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && r.MemorySwappiness !== -1 && (r.MemorySwappiness < 0 || r.MemorySwappiness > 100)) {
    fail(`Invalid value: ${r.MemorySwappiness}, valid memory swappiness range is 0-100`);
  }
  if ((r.MemoryReservation ?? 0) > 0 && !info.memoryReservation) {
    warnings.push('Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.MemoryReservation = 0;
  }
  const reservation = r.MemoryReservation ?? 0;
  if (reservation > 0 && reservation < MIN_MEMORY) fail('Minimum memory reservation allowed is 6MB');
  if (mem > 0 && reservation > 0 && mem < reservation) fail('Minimum memory limit can not be less than memory reservation limit, see usage');

  if (r.OomKillDisable && !info.oomKillDisable) {
    warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    r.OomKillDisable = false;
  }
  if (r.OomKillDisable && (r.Memory ?? 0) === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && !info.pidsLimit) {
    if (r.PidsLimit > 0) warnings.push('Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.');
    r.PidsLimit = null;
  }

  const nano = r.NanoCpus ?? 0;
  if (nano > 0 && (r.CpuPeriod ?? 0) > 0) fail('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (r.CpuQuota ?? 0) > 0) fail('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && !info.cpuCfs) fail('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  // Below 0.01 CPU (a quota under 1 ms) dockerd accepts the value and the kernel refuses it at start.
  if (nano < 0 || nano > info.numCpu * 1e9) {
    fail(`Range of CPUs is from 0.01 to ${info.numCpu}.00, as there are only ${info.numCpu} CPUs available`);
  }
  if ((r.CpuShares ?? 0) > 0 && !info.cpuShares) {
    warnings.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    r.CpuShares = 0;
  }
  if (((r.CpuPeriod ?? 0) !== 0 || (r.CpuQuota ?? 0) !== 0) && !info.cpuCfs) {
    warnings.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    r.CpuPeriod = 0;
    r.CpuQuota = 0;
  }
  const period = r.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1000000)) fail('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if ((r.CpuQuota ?? 0) > 0 && (r.CpuQuota ?? 0) < 1000) fail('CPU cfs quota can not be less than 1ms (i.e. 1000)');

  if ((r.CpusetCpus || r.CpusetMems) && !info.cpuset) {
    warnings.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
    r.CpusetCpus = '';
    r.CpusetMems = '';
  }
  if (r.CpusetCpus) checkSubset(r.CpusetCpus, info.cpus, 'cpus', 'CPUs');
  if (r.CpusetMems) checkSubset(r.CpusetMems, info.mems, 'mems', 'memory nodes');

  if ((r.BlkioWeight ?? 0) > 0 && !info.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.BlkioWeight = 0;
  }
  const weight = r.BlkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) fail('Range of blkio weight is from 10 to 1000');
  for (const [field, supported, what, discarded] of BLKIO_DEVICE_CHECKS) {
    if ((r[field]?.length ?? 0) > 0 && !info[supported]) {
      warnings.push(`Your kernel does not support ${what} or the cgroup is not mounted. ${discarded} discarded.`);
      r[field] = [];
    }
  }

  if (!opts.update) {
    if ((r.Memory ?? 0) > 0 && (r.MemorySwap ?? 0) === 0) r.MemorySwap = (r.Memory ?? 0) * 2;
    if (r.PidsLimit !== undefined && r.PidsLimit !== null && r.PidsLimit <= 0) r.PidsLimit = null;
  }
  return { resources: r, warnings };
}

function checkSubset(requested: string, available: string, what: 'cpus' | 'mems', noun: string): void {
  let want: number[];
  try {
    want = parseCpuList(requested);
  } catch (e) {
    throw new BerthError('invalid_argument', `Invalid value ${requested} for cpuset ${what}: ${(e as Error).message}`);
  }
  const have = new Set(parseCpuList(available));
  if (want.some((n) => !have.has(n))) {
    throw new BerthError('invalid_argument', `Requested ${noun === 'CPUs' ? 'CPUs' : 'memory nodes'} are not available - requested ${requested}, available: ${available}`);
  }
}
