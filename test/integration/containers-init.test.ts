// --init: berth-init is PID 1, runs the command as its child, reaps orphans and passes the exit status on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();

describe('run --init', { skip }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startContainerDaemon();
    await waitUntil('the built-in busybox', async () => (await d.docker(['image', 'inspect', 'busybox'])).code === 0, 30_000);
  });
  after(async () => { await d?.cleanup(); });

  test('PID 1 is docker-init with the command after --', async () => {
    const r = await d.docker(['run', '--rm', '--init', '--network', 'none', 'busybox', 'sh', '-c', "tr '\\0' ' ' < /proc/1/cmdline; echo; cat /proc/$$/status | grep ^PPid"]);
    assert.equal(r.code, 0, r.stderr);
    const [cmdline, ppid] = r.stdout.trim().split('\n');
    assert.equal(cmdline!.trim(), '/sbin/docker-init -- sh -c ' + "tr '\\0' ' ' < /proc/1/cmdline; echo; cat /proc/$$/status | grep ^PPid");
    assert.match(ppid!, /^PPid:\s+1$/);
  });

  async function zombiesAfterOrphan(init: boolean): Promise<number> {
    // A grandchild orphaned to PID 1 exits at once; PID 1 then exec's sleep, which never reaps. Only a reaping
    // init keeps the zombie away.
    const run = await d.docker(['run', '-d', ...(init ? ['--init'] : []), '--network', 'none', 'busybox', 'sh', '-c', 'sh -c "sleep 0.1 &"; exec sleep 30']);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    try {
      await new Promise((r) => setTimeout(r, 800));
      const r = await d.docker(['exec', id, 'sh', '-c', 'grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l']);
      assert.equal(r.code, 0, r.stderr);
      return Number(r.stdout.trim());
    } finally {
      await d.docker(['rm', '-f', id]);
    }
  }

  test('orphans are reaped by the init, not without it', async () => {
    assert.equal(await zombiesAfterOrphan(true), 0);
    assert.equal(await zombiesAfterOrphan(false), 1);
  });

  test('the exit status passes through the init', async () => {
    const r = await d.docker(['run', '--rm', '--init', '--network', 'none', 'busybox', 'sh', '-c', 'exit 7']);
    assert.equal(r.code, 7, r.stderr);
  });
});
