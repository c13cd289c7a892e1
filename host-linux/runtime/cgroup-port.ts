// What the runtime needs from host-linux/cgroups (CgroupManager), stated here so the runtime does
// not depend on more of it than this.
import type { HostConfig } from '../../core/engine/containers/types.ts';
import type { BlockIOResources, DeviceCgroup, Spec } from '../../core/runtime-spec/types.ts';
import { RUNTIME_DEVICE_RULES } from '../cgroups/device-rules.ts';

/** HostConfig plus what only the spec knows: the device rules and the block devices' numbers. */
export type CgroupResourcesInput = HostConfig & { devices?: DeviceCgroup[]; blockIO?: BlockIOResources };

export interface CgroupHandle {
  update(resources: CgroupResourcesInput): unknown;
  freeze(): unknown;
  thaw(): unknown;
  /** Parts of Docker's stats JSON: cpu_stats, memory_stats, pids_stats, blkio_stats. */
  stats(): unknown;
  oomKilled(): unknown;
  pids(): number[] | Promise<number[]>;
  killAll(signal: number): unknown;
  destroy(): unknown;
}

export interface CgroupPort {
  /** Creates (or reopens) the container's cgroup at `path` (relative to each hierarchy's root) with limits. */
  create(path: string, resources: CgroupResourcesInput): CgroupHandle | Promise<CgroupHandle>;
  /** A handle on an existing cgroup (after a daemon restart), creating nothing. */
  open?(path: string): CgroupHandle;
}

export function cgroupPath(id: string): string {
  return `/berth/${id}`;
}

/**
 * What the container's cgroup is created with: the HostConfig's limits, the spec's device rules
 * followed by the ones runc adds to every container, and the spec's block I/O devices (their
 * paths resolved to major:minor when the spec was made).
 */
export function cgroupResources(hc: HostConfig, spec: Spec): CgroupResourcesInput {
  const r = spec.linux?.resources;
  return { ...hc, devices: [...(r?.devices ?? []), ...RUNTIME_DEVICE_RULES], ...(r?.blockIO ? { blockIO: r.blockIO } : {}) };
}
