// cgroup2 freezer (a core feature, no controller to enable): writing 1 to cgroup.freeze asks
// for the freeze; it is complete when cgroup.events reads `frozen 1`.
import { BerthError } from '../../../core/errors.ts';
import { readKeyed, writeCgroupFile } from '../files.ts';
import { sleep } from '../tree.ts';

export function isFrozen(dir: string): boolean {
  return readKeyed(dir, 'cgroup.events')['frozen'] === 1;
}

async function setFrozen(dir: string, frozen: boolean, timeoutMs: number): Promise<void> {
  writeCgroupFile(dir, 'cgroup.freeze', frozen ? 1 : 0);
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; isFrozen(dir) !== frozen; i++) {
    if (Date.now() > deadline) {
      if (frozen) writeCgroupFile(dir, 'cgroup.freeze', 0);
      throw new BerthError('internal', `cannot ${frozen ? 'freeze' : 'thaw'} the cgroup ${dir}: cgroup.events did not report frozen ${frozen ? 1 : 0} within ${timeoutMs} ms`);
    }
    await sleep(i < 10 ? 1 : 5);
  }
}

export function freeze(dir: string, timeoutMs = 5000): Promise<void> {
  return setFrozen(dir, true, timeoutMs);
}

export function thaw(dir: string, timeoutMs = 5000): Promise<void> {
  return setFrozen(dir, false, timeoutMs);
}
