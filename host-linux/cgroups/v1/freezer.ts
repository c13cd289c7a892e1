// v1 freezer: writing FROZEN starts freezing; the state reads FREEZING until every task has
// stopped, which a task in an uninterruptible sleep can delay. As runc does, a freeze that does
// not settle is undone and tried again, so a stuck task does not leave the cgroup half frozen.
import { BerthError } from '../../../core/errors.ts';
import { readCgroupFile, writeCgroupFile } from '../files.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freezerState(dir: string): string {
  return (readCgroupFile(dir, 'freezer.state') ?? '').trim();
}

export async function freeze(dir: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    writeCgroupFile(dir, 'freezer.state', 'FROZEN');
    for (let i = 0; i < 50; i++) {
      if (freezerState(dir) === 'FROZEN') return;
      await sleep(i < 10 ? 1 : 5);
    }
    if (Date.now() > deadline) {
      writeCgroupFile(dir, 'freezer.state', 'THAWED');
      throw new BerthError('internal', `cannot freeze the cgroup ${dir}: it stayed ${freezerState(dir)} for ${timeoutMs} ms`);
    }
    writeCgroupFile(dir, 'freezer.state', 'THAWED');
    await sleep(1);
  }
}

export async function thaw(dir: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  writeCgroupFile(dir, 'freezer.state', 'THAWED');
  while (freezerState(dir) !== 'THAWED') {
    if (Date.now() > deadline) throw new BerthError('internal', `cannot thaw the cgroup ${dir}: it stayed ${freezerState(dir)}`);
    await sleep(1);
  }
}
