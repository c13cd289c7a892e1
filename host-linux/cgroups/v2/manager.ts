// cgroup2 (Documentation/admin-guide/cgroup-v2.rst): one tree. A controller is usable in a
// cgroup only when every ancestor lists it in cgroup.subtree_control, so creating /berth/<id>
// enables the wanted controllers at the root and in /berth first ("top-down constraint"). A cgroup
// with controllers enabled for its children may hold no processes itself ("no internal process
// constraint", the root excepted): berthd never puts processes into /berth.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../../core/errors.ts';
import type { CgroupLayout } from '../detect.ts';
import { hasCgroupFile, readCgroupFile, writeCgroupFile } from '../files.ts';
import type { CgroupHandle, CgroupManager } from '../handle.ts';
import type { CgroupResources } from '../resources.ts';
import { onlineCpus, systemCpuUsage, type CgroupStats } from '../stats.ts';
import { cgroupDirs, relParts, removeTree, signalAll, treeProcs, waitEmpty } from '../tree.ts';
import * as cpu from './cpu.ts';
import * as cpuset from './cpuset.ts';
import { applyDevices } from './devices.ts';
import { freeze, isFrozen, thaw } from './freezer.ts';
import * as io from './io.ts';
import * as memory from './memory.ts';
import * as pids from './pids.ts';

const SIGKILL = 9;

/** The controllers berth limits containers with, in the order runc enables them. */
export const WANTED_CONTROLLERS = ['cpuset', 'cpu', 'io', 'memory', 'pids'];

export interface V2Options {
  /**
   * How a cgroup directory is removed (rmdir). Only a cgroup tree laid out in an ordinary
   * directory, where interface files are real files, needs another way.
   */
  removeDir?: (dir: string) => void;
}

export class V2Manager implements CgroupManager {
  readonly version = 2 as const;
  readonly layout: CgroupLayout;
  readonly root: string;
  #opts: V2Options;

  constructor(layout: CgroupLayout, opts: V2Options = {}) {
    if (layout.unified === undefined) throw new BerthError('unsupported', 'cgroup2 is not mounted on this host');
    this.layout = layout;
    this.root = layout.unified;
    this.#opts = opts;
  }

  async create(path: string, resources: CgroupResources): Promise<CgroupHandle> {
    const rel = relParts(path);
    let dir = this.root;
    for (const part of rel) {
      enableControllers(dir);
      dir = join(dir, part);
      mkdirSync(dir, { recursive: true });
    }
    for (const mountPoint of this.layout.hierarchies.keys()) mkdirSync(join(mountPoint, ...rel), { recursive: true });
    const handle = this.open(path);
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
    const paths: Record<string, string> = { unified: join(this.root, ...rel) };
    // Named v1 hierarchies (name=systemd on some hosts) are joined too, like runc does.
    for (const [mountPoint, names] of this.layout.hierarchies) paths[names.join(',')] = join(mountPoint, ...rel);
    return new V2Cgroup(`/${rel.join('/')}`, paths, this.#opts);
  }
}

/**
 * Enables in `dir`'s cgroup.subtree_control every wanted controller it has (cgroup.controllers)
 * and has not enabled yet. All at once first, as one write is atomic; if the kernel refuses the
 * set, one by one, so one missing controller does not cost the others.
 */
export function enableControllers(dir: string): void {
  const available = words(readCgroupFile(dir, 'cgroup.controllers'));
  const enabled = new Set(words(readCgroupFile(dir, 'cgroup.subtree_control')).map((w) => w.replace(/^\+/, '')));
  const missing = WANTED_CONTROLLERS.filter((c) => available.includes(c) && !enabled.has(c));
  if (missing.length === 0) return;
  try {
    writeCgroupFile(dir, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '));
    return;
  } catch {
    // fall through to one by one
  }
  for (const c of missing) {
    try {
      writeCgroupFile(dir, 'cgroup.subtree_control', `+${c}`);
    } catch (e) {
      if (c === 'memory' || c === 'pids' || c === 'cpu') {
        const busy = /EBUSY/.test((e as Error).message);
        throw new BerthError('internal', `cannot enable the ${c} controller in ${dir}/cgroup.subtree_control: ${(e as Error).message}${busy ? ' (the cgroup holds processes; with cgroup2 they must live in a leaf cgroup)' : ''}`, { cause: e });
      }
      // cpuset and io are optional: limits that need them fail when set.
    }
  }
}

function words(text: string | undefined): string[] {
  return (text ?? '').trim().split(/\s+/).filter(Boolean);
}

class V2Cgroup implements CgroupHandle {
  readonly path: string;
  readonly paths: Record<string, string>;
  readonly dir: string;
  #opts: V2Options;

  constructor(path: string, paths: Record<string, string>, opts: V2Options) {
    this.path = path;
    this.paths = paths;
    this.dir = paths['unified']!;
    this.#opts = opts;
  }

  async update(r: CgroupResources): Promise<void> {
    const d = this.dir;
    applyDevices(d, r.devices);
    if (cpuset.available(d)) cpuset.applyCpuset(d, r);
    else if (r.CpusetCpus || r.CpusetMems) throw unavailable('cpuset', d);
    if (memory.available(d)) memory.applyMemory(d, r);
    else if ((r.Memory && r.Memory > 0) || (r.MemoryReservation && r.MemoryReservation > 0)) throw unavailable('memory', d);
    if (cpu.available(d)) cpu.applyCpu(d, r);
    else if ((r.CpuShares ?? 0) > 0 || (r.NanoCpus ?? 0) > 0 || (r.CpuQuota ?? 0) > 0) throw unavailable('cpu', d);
    if (pids.available(d)) pids.applyPids(d, r);
    else if ((r.PidsLimit ?? 0) > 0) throw unavailable('pids', d);
    if (io.available(d) || hasCgroupFile(d, 'io.max')) io.applyIo(d, r);
    else if (io.wantsIoMax(r)) throw unavailable('io', d);
  }

  freeze(): Promise<void> {
    return freeze(this.dir);
  }

  thaw(): Promise<void> {
    return thaw(this.dir);
  }

  frozen(): boolean {
    return isFrozen(this.dir);
  }

  async stats(): Promise<CgroupStats> {
    const d = this.dir;
    const { cpu_usage, throttling_data } = cpu.cpuStats(d);
    return {
      memory_stats: memory.available(d) ? memory.memoryStats(d) : {},
      cpu_stats: { cpu_usage, system_cpu_usage: systemCpuUsage(), online_cpus: onlineCpus(), throttling_data },
      pids_stats: pids.available(d) ? pids.pidsStats(d) : {},
      blkio_stats: io.ioStats(d),
      num_procs: 0,
    };
  }

  async oomKilled(): Promise<boolean> {
    return memory.oomKills(this.dir) > 0;
  }

  async pids(): Promise<number[]> {
    return treeProcs(this.dir).sort((a, b) => a - b);
  }

  async killAll(signal: number): Promise<void> {
    // cgroup.kill (5.14+) kills the whole subtree atomically, frozen or not, with no fork race.
    if (signal === SIGKILL && hasCgroupFile(this.dir, 'cgroup.kill')) {
      writeCgroupFile(this.dir, 'cgroup.kill', 1);
      return;
    }
    if (signal === SIGKILL && hasCgroupFile(this.dir, 'cgroup.freeze')) {
      await freeze(this.dir);
      try {
        signalAll(await this.pids(), signal);
      } finally {
        await thaw(this.dir);
      }
      return;
    }
    signalAll(await this.pids(), signal);
  }

  async destroy(): Promise<void> {
    for (let round = 0; (await this.pids()).length > 0; round++) {
      if (round === 5) throw new BerthError('internal', `cannot empty the cgroup ${this.dir}: processes ${(await this.pids()).join(' ')} survive SIGKILL`);
      await this.killAll(SIGKILL);
      await waitEmpty(this.dir, 1000);
    }
    for (const dir of Object.values(this.paths)) {
      if (this.#opts.removeDir) {
        for (const d of cgroupDirs(dir)) this.#opts.removeDir(d);
      } else {
        await removeTree(dir);
      }
    }
  }
}

function unavailable(controller: string, dir: string): BerthError {
  return new BerthError('unsupported', `the ${controller} cgroup controller is not enabled for ${dir} (see cgroup.controllers of its parent)`);
}
