// The entry point: the cgroup manager for this host's layout (v1, including hybrid hosts, or v2),
// chosen once at start.
import { detectCgroups, type CgroupLayout } from './detect.ts';
import type { CgroupManager } from './handle.ts';
import { V1Manager } from './v1/manager.ts';
import { V2Manager, type V2Options } from './v2/manager.ts';

export type { CgroupHandle, CgroupManager } from './handle.ts';
export type { CgroupLayout } from './detect.ts';
export type { CgroupResources, DeviceRule } from './resources.ts';
export type { CgroupStats } from './stats.ts';
export { validateResources, sysInfo, type CgroupSysInfo } from './validate.ts';

/** The parent of every container's cgroup: `/berth/<id>`. */
export const CGROUP_PARENT = '/berth';

export function containerCgroupPath(id: string, parent = CGROUP_PARENT): string {
  return `${parent.replace(/\/+$/, '')}/${id}`;
}

/**
 * The manager for the layout. BERTH_TEST_CGROUP2=1 (tests only) runs the cgroup2 manager on a
 * hybrid host's controller-less cgroup2 mount, where what needs no controller (device programs,
 * cgroup.kill, cgroup.freeze) works for real.
 */
export function cgroupManager(layout: CgroupLayout = detectCgroups(), opts: V2Options = {}): CgroupManager {
  if (layout.version === 2) return new V2Manager(layout, opts);
  if (process.env['BERTH_TEST_CGROUP2'] === '1' && layout.unified !== undefined) {
    // As on a cgroup2 host, only named v1 hierarchies (name=systemd) are joined beside it.
    const hierarchies = new Map([...layout.hierarchies].filter(([, names]) => names.every((n) => n.startsWith('name='))));
    return new V2Manager({ ...layout, hierarchies }, opts);
  }
  return new V1Manager(layout);
}

/** What /info reports: CgroupVersion "1" or "2", CgroupDriver "cgroupfs". */
export function cgroupInfo(layout: CgroupLayout = detectCgroups()): { cgroupVersion: string; cgroupDriver: string } {
  return { cgroupVersion: String(layout.version), cgroupDriver: 'cgroupfs' };
}
