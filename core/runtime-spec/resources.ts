// linux.resources as dockerd fills it from HostConfig. The daemon's cgroup code applies the limits
// (v1 or v2); the spec carries them too so the bundle says what the container was given.
import type { HostConfig, ThrottleDevice } from '../engine/containers/types.ts';
import { BerthError } from '../errors.ts';
import type { BlockIOResources, DeviceCgroup, Resources } from './types.ts';

/** A device node's numbers: the host stats the path (dockerd does, at start); throws when it cannot. */
export type DeviceResolver = (path: string) => { major: number; minor: number };

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

export function specResources(hc: HostConfig, resolveDevice?: DeviceResolver): Resources {
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
  out.blockIO = blockIO(hc, resolveDevice);
  return out;
}

/** linux.resources.blockIO: the weight and the per-device lists with each path as major:minor. */
function blockIO(hc: HostConfig, resolveDevice: DeviceResolver | undefined): BlockIOResources {
  const out: BlockIOResources = { weight: hc.BlkioWeight ?? 0 };
  const resolve = (path: string) => {
    if (!resolveDevice) throw new BerthError('unsupported', `block I/O limits for ${path} are not supported on this host`);
    return resolveDevice(path);
  };
  const throttle = (list: ThrottleDevice[] | null | undefined) => (list ?? []).map((d) => ({ ...resolve(d.Path), rate: d.Rate }));
  if (hc.BlkioWeightDevice?.length) out.weightDevice = hc.BlkioWeightDevice.map((d) => ({ ...resolve(d.Path), weight: d.Weight }));
  if (hc.BlkioDeviceReadBps?.length) out.throttleReadBpsDevice = throttle(hc.BlkioDeviceReadBps);
  if (hc.BlkioDeviceWriteBps?.length) out.throttleWriteBpsDevice = throttle(hc.BlkioDeviceWriteBps);
  if (hc.BlkioDeviceReadIOps?.length) out.throttleReadIOPSDevice = throttle(hc.BlkioDeviceReadIOps);
  if (hc.BlkioDeviceWriteIOps?.length) out.throttleWriteIOPSDevice = throttle(hc.BlkioDeviceWriteIOps);
  return out;
}
