// Side by side with dockerd 20.10 on the same host: for one of its containers, the stats JSON our
// cgroup code reads from the container's cgroup has exactly the shape dockerd answers (field
// names, nesting, types, [] versus null) and the same limits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { detectCgroups } from '../../host-linux/cgroups/detect.ts';
import { cgroupManager } from '../../host-linux/cgroups/manager.ts';
import { dockerdMissing, importBusybox, startDockerd, type TestDockerd } from '../helpers/dockerd.ts';
import { unixRequest } from '../helpers/berthd.ts';

const skip = dockerdMissing() ?? (detectCgroups().version !== 1 ? 'compares the v1 stats shape' : false);
let d: TestDockerd | undefined;

before(async () => { if (!skip) d = await startDockerd(); });
after(async () => { await d?.cleanup(); });

/** The JSON's shape: every value replaced by its type. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return v === null ? null : typeof v;
}

test("stats of a dockerd container read through our cgroup code match dockerd's stats JSON", { skip }, async () => {
  await importBusybox(d!, 'bb');
  const id = (await d!.dockerOk(['run', '-d', '-m', '32m', '--pids-limit', '9', 'bb', 'sh', '-c', 'head -c 4m /dev/zero | tail; sleep 100'])).trim();
  try {
    await new Promise((r) => setTimeout(r, 500));
    const res = await unixRequest(d!.socket, 'GET', `/containers/${id}/stats?stream=0`);
    assert.equal(res.status, 200);
    const theirs = JSON.parse(res.body) as Record<string, unknown>;
    // What the engine adds around the cgroup's part.
    for (const k of ['read', 'preread', 'precpu_stats', 'name', 'id', 'networks', 'storage_stats']) delete theirs[k];
    const ours = await cgroupManager().open(`/docker/${id}`).stats();
    assert.deepEqual(shape(ours), shape(theirs));
    const t = theirs as { memory_stats: { limit: number }; pids_stats: unknown; cpu_stats: { online_cpus: number } };
    assert.equal(ours.memory_stats.limit, t.memory_stats.limit);
    assert.deepEqual(ours.pids_stats, t.pids_stats);
    assert.equal(ours.cpu_stats.online_cpus, t.cpu_stats.online_cpus);
  } finally {
    await d!.docker(['rm', '-f', id]);
  }
});
