// What the runtime needs from host-linux/cgroups (CgroupManager), stated here so the runtime does
// not depend on more of it than this.
import type { HostConfig } from '../../core/engine/containers/types.ts';

export interface CgroupHandle {
  update(resources: HostConfig): unknown;
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
  create(path: string, resources: HostConfig): CgroupHandle | Promise<CgroupHandle>;
  /** A handle on an existing cgroup (after a daemon restart), creating nothing. */
  open?(path: string): CgroupHandle;
}

export function cgroupPath(id: string): string {
  return `/berth/${id}`;
}
