// v1 cpuset controller. A new v1 cpuset cgroup starts with empty cpus and mems, and no process can
// join it until both are set: each new level copies its parent's unless the container asks for
// its own.
import { readCgroupFile, writeCgroupFile } from '../files.ts';
import type { CgroupResources } from '../resources.ts';

export function inheritCpuset(parent: string, dir: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if ((readCgroupFile(dir, file) ?? '').trim() !== '') continue;
    const value = (readCgroupFile(parent, file) ?? '').trim();
    if (value !== '') writeCgroupFile(dir, file, value);
  }
}

export function applyCpuset(dir: string, r: CgroupResources): void {
  if (r.CpusetCpus) writeCgroupFile(dir, 'cpuset.cpus', r.CpusetCpus);
  if (r.CpusetMems) writeCgroupFile(dir, 'cpuset.mems', r.CpusetMems);
}
