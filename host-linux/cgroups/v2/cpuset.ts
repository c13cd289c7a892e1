// cgroup2 cpuset controller. Unlike v1, an empty cpuset.cpus means "the parent's effective
// CPUs", so nothing needs copying down.
import { hasCgroupFile, writeCgroupFile } from '../files.ts';
import type { CgroupResources } from '../resources.ts';

export function available(dir: string): boolean {
  return hasCgroupFile(dir, 'cpuset.cpus');
}

export function applyCpuset(dir: string, r: CgroupResources): void {
  if (r.CpusetCpus) writeCgroupFile(dir, 'cpuset.cpus', r.CpusetCpus);
  if (r.CpusetMems) writeCgroupFile(dir, 'cpuset.mems', r.CpusetMems);
}
