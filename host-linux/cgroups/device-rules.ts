// The device rules a container's cgroup gets: the spec's (linux.resources.devices, dockerd's list)
// followed by the ones runc appends to every container (libcontainer/specconv AllowedDevices), as
// berth plays runc's part: mknod of any node (opening it is still ruled), the pty devices a `-t`
// container needs (/dev/pts/*, /dev/ptmx) and /dev/net/tun.
import type { DeviceRule } from './resources.ts';

const chr = (major: number, minor?: number, access = 'rwm'): DeviceRule => ({ allow: true, type: 'c', major, ...(minor === undefined ? {} : { minor }), access });

export const RUNTIME_DEVICE_RULES: readonly DeviceRule[] = [
  { allow: true, type: 'c', access: 'm' }, { allow: true, type: 'b', access: 'm' },
  chr(1, 3), chr(1, 8), chr(1, 7), chr(5, 0), chr(1, 5), chr(1, 9), chr(136), chr(5, 2), chr(10, 200),
];

/** The rules to apply, in order, for the spec's `rules`; the last matching rule decides. */
export function containerDeviceRules(rules: readonly DeviceRule[] | undefined): DeviceRule[] {
  return [...(rules ?? []), ...RUNTIME_DEVICE_RULES].map((r) => ({ ...r }));
}

/** `r`, `w`, `m` as the kernel's BPF_DEVCG_ACC_READ, _WRITE, _MKNOD bits; empty is all three. */
export function accessMask(access: string | undefined): number {
  const text = access || 'rwm';
  let mask = 0;
  for (const c of text) {
    const bit = ({ m: 1, r: 2, w: 4 } as Record<string, number>)[c];
    if (bit === undefined) throw new Error(`invalid device access "${text}": use some of r, w, m`);
    mask |= bit;
  }
  return mask;
}
