// cgroup v1: one directory per hierarchy. The container's cgroup is made in every mounted
// hierarchy (controllers and named ones like name=systemd, and the empty cgroup2 of a hybrid
// host), because the shim joins the spec's cgroupsPath in each of them.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../../core/errors.ts';
import type { CgroupLayout } from '../detect.ts';
import type { CgroupHandle, CgroupManager } from '../handle.ts';
import type { CgroupResources } from '../resources.ts';
import { emptyBlkio, onlineCpus, systemCpuUsage, type CgroupStats } from '../stats.ts';
import { relParts, removeTree, signalAll, treeProcs, waitEmpty } from '../tree.ts';
import { applyBlkio, blkioStats } from './blkio.ts';
import { applyCpu, throttling } from './cpu.ts';
import { cpuUsage } from './cpuacct.ts';
import { applyDevices } from './devices.ts';
import { applyCpuset, inheritCpuset } from './cpuset.ts';
import { freeze, freezerState, thaw } from './freezer.ts';
import { applyMemory, memoryStats, oomKills } from './memory.ts';
import { applyPids, pidsStats } from './pids.ts';

const SIGKILL = 9;

export class V1Manager implements CgroupManager {
  readonly version = 1 as const;
  readonly layout: CgroupLayout;

  constructor(layout: CgroupLayout) {
    this.layout = layout;
  }

  async create(path: string, resources: CgroupResources): Promise<CgroupHandle> {
    const handle = this.open(path);
    const rel = relParts(path);
    for (const [key, mountPoint] of Object.entries(mounts(this.layout))) {
      let dir = mountPoint;
      for (const part of rel) {
        const parent = dir;
        dir = join(dir, part);
        mkdirSync(dir, { recursive: true });
        if (key.split(',').includes('cpuset')) inheritCpuset(parent, dir);
      }
    }
    try {
      await handle.update(resources);
    } catch (e) {
      await handle.destroy().catch(() => {});
      throw e;
    }
    return handle;
  }

  open(path: string): CgroupHandle {
    const rel = relParts(path);
    const paths: Record<string, string> = {};
    for (const [key, mountPoint] of Object.entries(mounts(this.layout))) paths[key] = join(mountPoint, ...rel);
    return new V1Cgroup(`/${rel.join('/')}`, paths, this.layout);
  }
}

class V1Cgroup implements CgroupHandle {
  readonly path: string;
  readonly paths: Record<string, string>;
  #layout: CgroupLayout;

  constructor(path: string, paths: Record<string, string>, layout: CgroupLayout) {
    this.path = path;
    this.paths = paths;
    this.#layout = layout;
  }

  /** The directory in the hierarchy holding `controller`, or undefined when it is not mounted. */
  #dir(controller: string): string | undefined {
    const mountPoint = this.#layout.v1.get(controller);
    if (mountPoint === undefined) return undefined;
    const key = this.#layout.hierarchies.get(mountPoint)!.join(',');
    return this.paths[key];
  }

  async update(r: CgroupResources): Promise<void> {
    const apply: [string, (dir: string, r: CgroupResources) => void][] = [
      ['devices', (dir, res) => applyDevices(dir, res.devices)], ['cpuset', applyCpuset], ['memory', applyMemory], ['cpu', applyCpu], ['pids', applyPids], ['blkio', applyBlkio],
    ];
    for (const [controller, fn] of apply) {
      const dir = this.#dir(controller);
      if (dir !== undefined) fn(dir, r);
    }
  }

  async freeze(): Promise<void> {
    await freeze(this.#need('freezer'));
  }

  async thaw(): Promise<void> {
    await thaw(this.#need('freezer'));
  }

  frozen(): boolean {
    const dir = this.#dir('freezer');
    return dir !== undefined && freezerState(dir) !== 'THAWED' && freezerState(dir) !== '';
  }

  async stats(): Promise<CgroupStats> {
    const memory = this.#dir('memory');
    const cpuacct = this.#dir('cpuacct');
    const cpu = this.#dir('cpu');
    const pids = this.#dir('pids');
    const blkio = this.#dir('blkio');
    return {
      memory_stats: memory ? memoryStats(memory) : {},
      cpu_stats: {
        cpu_usage: cpuacct ? cpuUsage(cpuacct) : { total_usage: 0, percpu_usage: [], usage_in_kernelmode: 0, usage_in_usermode: 0 },
        system_cpu_usage: systemCpuUsage(),
        online_cpus: onlineCpus(),
        throttling_data: cpu ? throttling(cpu) : { periods: 0, throttled_periods: 0, throttled_time: 0 },
      },
      pids_stats: pids ? pidsStats(pids) : {},
      blkio_stats: blkio ? blkioStats(blkio) : emptyBlkio(),
      num_procs: 0,
    };
  }

  async oomKilled(): Promise<boolean> {
    const dir = this.#dir('memory');
    return dir !== undefined && oomKills(dir) > 0;
  }

  async pids(): Promise<number[]> {
    const all = new Set<number>();
    for (const dir of Object.values(this.paths)) for (const pid of treeProcs(dir)) all.add(pid);
    return [...all].sort((a, b) => a - b);
  }

  async killAll(signal: number): Promise<void> {
    const freezer = this.#dir('freezer');
    // Frozen, the processes cannot fork while the list is read and signalled; SIGKILL is
    // delivered on thaw (so a paused container is killed too). Other signals are sent without freezing: a frozen process would not see
    // them until thawed anyway, and a paused container must stay paused.
    if (signal === SIGKILL && freezer !== undefined) {
      await freeze(freezer);
      try {
        signalAll(await this.pids(), signal);
      } finally {
        await thaw(freezer);
      }
      return;
    }
    signalAll(await this.pids(), signal);
  }

  async destroy(): Promise<void> {
    const dirs = Object.values(this.paths);
    for (let round = 0; (await this.pids()).length > 0; round++) {
      if (round === 5) throw new BerthError('internal', `cannot empty the cgroup ${this.path}: processes ${(await this.pids()).join(' ')} survive SIGKILL`);
      await this.killAll(SIGKILL);
      for (const dir of dirs) await waitEmpty(dir, 1000);
    }
    for (const dir of dirs) await removeTree(dir);
  }

  #need(controller: string): string {
    const dir = this.#dir(controller);
    if (dir === undefined) throw new BerthError('unsupported', `the ${controller} cgroup controller is not mounted on this host`);
    return dir;
  }
}

/** Every hierarchy's mount point by key, plus the controller-less cgroup2 of a hybrid host. */
function mounts(layout: CgroupLayout): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [mountPoint, names] of layout.hierarchies) out[names.join(',')] = mountPoint;
  if (layout.unified !== undefined) out['unified'] = layout.unified;
  return out;
}
