// v1 devices controller: which device nodes the container may open (r, w) or create (m). Without
// it a container holding CAP_MKNOD (one of Docker's defaults) could make and open any host disk.
import { writeCgroupFile } from '../files.ts';
import type { DeviceRule } from '../resources.ts';

/** The kernel's rule syntax: `c 1:3 rwm`, `a *:* rwm`. */
export function deviceRuleLine(rule: DeviceRule): string {
  const type = rule.type ?? 'a';
  const num = (n: number | undefined) => (n === undefined || n < 0 ? '*' : String(n));
  return `${type} ${num(rule.major)}:${num(rule.minor)} ${rule.access || 'rwm'}`;
}

/** Writes each rule, in order, to devices.allow or devices.deny (one rule per write, as the kernel parses). */
export function applyDevices(dir: string, rules: DeviceRule[] | undefined): void {
  for (const rule of rules ?? []) writeCgroupFile(dir, rule.allow ? 'devices.allow' : 'devices.deny', deviceRuleLine(rule));
}
