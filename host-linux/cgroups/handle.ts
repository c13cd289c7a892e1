// What the daemon holds for one container's cgroup, whatever the cgroup version.
import type { CgroupLayout } from './detect.ts';
import type { CgroupResources } from './resources.ts';
import type { CgroupStats } from './stats.ts';

export interface CgroupHandle {
  /** The path relative to each hierarchy's root, e.g. `/berth/<id>` (the OCI spec's linux.cgroupsPath). */
  readonly path: string;
  /** Absolute directory per hierarchy (v1: keyed by its controllers, e.g. `memory`, `cpu,cpuacct`, `name=systemd`; `unified` for cgroup2). */
  readonly paths: Record<string, string>;
  update(resources: CgroupResources): Promise<void>;
  /** Stops every process in the cgroup; resolves once all are frozen. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Whether the freezer currently holds the cgroup frozen. */
  frozen(): boolean;
  stats(): Promise<CgroupStats>;
  /** Whether the OOM killer killed a process in this cgroup. */
  oomKilled(): Promise<boolean>;
  /** Every process in the cgroup (and any cgroups below it). */
  pids(): Promise<number[]>;
  /** Signals every process; SIGKILL reaches frozen ones too. */
  killAll(signal: number): Promise<void>;
  /** Kills what is left, waits for it to go, and removes the cgroup from every hierarchy. Idempotent. */
  destroy(): Promise<void>;
}

export interface CgroupManager {
  readonly version: 1 | 2;
  readonly layout: CgroupLayout;
  /** Creates the cgroup at `path` (parents on first use) with `resources` applied. */
  create(path: string, resources: CgroupResources): Promise<CgroupHandle>;
  /** A handle on an existing cgroup (after a daemon restart); nothing is created. */
  open(path: string): CgroupHandle;
}
