// linux.resources as dockerd fills it from HostConfig. The daemon's cgroup code applies the limits
// (v1 or v2); the spec carries them too so the bundle says what the container was given.
import type { HostConfig } from '../container/types.ts';
import type { DeviceCgroup, Resources } from './types.ts';

/** Docker's device cgroup rules: deny all, allow the OCI default devices, deny /dev/fuse (10:229). */
export function defaultDeviceRules(privileged: boolean): DeviceCgroup[] {
  if (privileged) return [{ allow: true, access: 'rwm' }];
  const allow = (major: number, minor: number): DeviceCgroup => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    allow(1, 5), allow(1, 3), allow(1, 9), allow(1, 8), allow(5, 0), allow(5, 1),
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ];
}

export const CFS_PERIOD = 100_000;

export function specResources(hc: HostConfig): Resources {
  const memory: Resources['memory'] = {};
  if (hc.Memory) memory.limit = hc.Memory;
  if (hc.MemoryReservation) memory.reservation = hc.MemoryReservation;
  if (hc.MemorySwap) memory.swap = hc.MemorySwap;
  if (hc.MemorySwappiness !== undefined && hc.MemorySwappiness !== null && hc.MemorySwappiness >= 0) memory.swappiness = hc.MemorySwappiness;
  memory.disableOOMKiller = !!hc.OomKillDisable;
  const cpu: Resources['cpu'] = { shares: hc.CpuShares ?? 0 };
  if (hc.NanoCpus) {
    cpu.period = CFS_PERIOD;
    cpu.quota = Math.round((hc.NanoCpus * CFS_PERIOD) / 1e9);
  }
  if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
  if (hc.CpuQuota) cpu.quota = hc.CpuQuota;
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;
  if (hc.CpuRealtimePeriod) cpu.realtimePeriod = hc.CpuRealtimePeriod;
  if (hc.CpuRealtimeRuntime) cpu.realtimeRuntime = hc.CpuRealtimeRuntime;
  const out: Resources = { devices: defaultDeviceRules(!!hc.Privileged), memory, cpu };
  if (hc.PidsLimit && hc.PidsLimit > 0) out.pids = { limit: hc.PidsLimit };
  out.blockIO = { weight: hc.BlkioWeight ?? 0 };
  return out;
}
