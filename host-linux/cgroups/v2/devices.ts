// cgroup2 device rules: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from the rules (native
// addon, host-linux/native/src/bpf-devices.c) and attached to the cgroup in place of the one
// attached before. Programs attach to any cgroup2 directory, with or without controllers.
import { BerthError } from '../../../core/errors.ts';
import { native } from '../../native/index.ts';
import { accessMask } from '../device-rules.ts';
import type { DeviceRule } from '../resources.ts';

const TYPES = { a: 97, b: 98, c: 99 } as const;

/** The rules as the addon reads them: five int32s each (allow, type char, major, minor; -1 is any; access bits). */
export function encodeDeviceRules(rules: readonly DeviceRule[]): Uint8Array {
  const out = new Int32Array(rules.length * 5);
  rules.forEach((r, i) => {
    const type = TYPES[r.type ?? 'a'];
    if (type === undefined) throw new BerthError('invalid_argument', `invalid device type "${r.type}": use a, b or c`);
    const num = (n: number | undefined) => (n === undefined || n < 0 ? -1 : n);
    let access: number;
    try { access = accessMask(r.access); } catch (e) { throw new BerthError('invalid_argument', (e as Error).message); }
    out.set([r.allow ? 1 : 0, type, num(r.major), num(r.minor), access], i * 5);
  });
  return new Uint8Array(out.buffer);
}

/** Replaces the cgroup's device program by one for `rules` (applied in order, the last match wins, none: deny). */
export function applyDevices(dir: string, rules: readonly DeviceRule[] | undefined): void {
  if (rules === undefined) return;
  try {
    native().attachDeviceFilter(dir, encodeDeviceRules(rules));
  } catch (e) {
    if (e instanceof BerthError) throw e;
    throw new BerthError('internal', `cannot set the device rules of ${dir}: ${(e as Error).message}`, { cause: e });
  }
}

/** The ids of the device programs attached to the cgroup itself. */
export function devicePrograms(dir: string): number[] {
  return native().deviceFilterPrograms(dir);
}
