// 300 sequential `docker run --rm` leave nothing behind: no mounts, cgroups, shims, daemon fds or zombies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { containersMissing, hostTraces, parentOf, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();
const RUNS = Number(process.env.BERTH_LEAK_RUNS ?? 300);

function berthCgroups(): string[] {
  const out: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const dir = `/sys/fs/cgroup/${h}/berth`;
    if (existsSync(dir)) for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(`${h}/${e.name}`);
  }
  return out;
}

describe('container leaks', { skip }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startContainerDaemon();
    await waitUntil('the built-in busybox', async () => (await d.docker(['image', 'inspect', 'busybox'])).code === 0, 30_000);
  });
  after(async () => {
    await d?.cleanup();
  });

  test("a shim is berthd's child, so berthd reaps it at once (no zombie left for PID 1 to find)", async () => {
    const id = (await d.docker(['run', '-d', 'busybox', 'sleep', '300'])).stdout.trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    const [shim] = hostTraces([d.execRoot]).shims;
    assert.ok(shim, 'the shim runs');
    assert.equal(parentOf(shim), d.process.pid);
    assert.equal((await d.docker(['rm', '-f', id])).code, 0);
    await waitUntil('the shim is reaped', () => !existsSync(`/proc/${shim}`), 5000);
  });

  test(`${RUNS} sequential run --rm`, async () => {
    const fds = () => readdirSync(`/proc/${d.process.pid}/fd`).length;
    const cgroupsBefore = berthCgroups();
    // One run first, so lazily opened daemon files (stores, sockets) are not counted as leaks.
    assert.equal((await d.docker(['run', '--rm', 'busybox', 'true'])).code, 0);
    const fdsBefore = fds();
    for (let i = 0; i < RUNS; i++) {
      const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', `echo ${i}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${i}\n`);
    }
    assert.equal((await d.docker(['ps', '-aq'])).stdout, '');
    await waitUntil('shims to exit', () => hostTraces([d.execRoot]).shims.length === 0);
    const traces = hostTraces([d.dataRoot, d.execRoot]);
    assert.deepEqual(traces.mounts, []);
    assert.deepEqual(traces.zombies.filter((z) => parentOf(z) === d.process.pid), [], 'the daemon reaps what it spawns');
    assert.deepEqual(berthCgroups().filter((c) => !cgroupsBefore.includes(c)), []);
    assert.ok(fds() <= fdsBefore + 2, `daemon fds: ${fdsBefore} before, ${fds()} after`);
    assert.deepEqual(readdirSync(`${d.execRoot}/containers`), []);
    assert.deepEqual(readdirSync(`${d.dataRoot}/containers`), []);
  });
});
