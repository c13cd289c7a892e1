// Image garbage collection and containers: `rmi -f` of an image a stopped container uses deletes
// the image as dockerd does, but the container's layers stay until the container goes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();

describe('snapshot garbage collection keeps the layers of containers', { skip }, () => {
  let d: TestDaemon;
  const dk = (args: string[]) => d.docker(args, { timeoutMs: 60_000 });
  const ok = async (args: string[]) => {
    const r = await dk(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n${d.logs().slice(-1500)}`);
    return r.stdout;
  };
  const snapshots = () => readdirSync(join(d.dataRoot, 'snapshots'), { recursive: true }).length;

  before(async () => {
    d = await startContainerDaemon();
    await waitUntil('the built-in busybox', async () => (await dk(['image', 'inspect', 'busybox'])).code === 0, 30_000);
  });

  after(async () => {
    if (!d) return;
    const ids = (await dk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await dk(['rm', '-f', ...ids]);
    await d.cleanup();
  });

  test('rmi -f of the image of a stopped container, then start still works; rm frees the layer', async () => {
    await ok(['run', '--name', 'gc-src', 'busybox', 'sh', '-c', 'echo kept > /marker']);
    await ok(['commit', 'gc-src', 'gc-test:1']);
    await ok(['rm', 'gc-src']);
    const layers = (await ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'gc-test:1'])).trim();
    const top = (JSON.parse(layers) as string[]).at(-1)!;
    await ok(['create', '--name', 'gc-user', 'gc-test:1', 'cat', '/marker']);
    const before = snapshots();
    const imageId = (await ok(['image', 'inspect', '-f', '{{.Id}}', 'gc-test:1'])).trim();
    const rmi = await ok(['rmi', '-f', 'gc-test:1']);
    assert.match(rmi, /Untagged: gc-test:1/);
    // dockerd deletes the image a stopped container uses with -f; by its ID at the latest.
    if ((await dk(['image', 'inspect', imageId])).code === 0) {
      const byId = await dk(['rmi', '-f', imageId]);
      assert.equal(byId.code, 0, byId.stderr);
    }
    assert.equal((await dk(['image', 'inspect', 'gc-test:1'])).code, 1, 'the image is gone');
    assert.equal(snapshots(), before, 'no layer was swept');
    assert.equal((await ok(['ps', '-a', '--filter', 'name=gc-user', '--format', '{{.Image}}'])).trim(), imageId.replace(/^sha256:/, '').slice(0, 12), 'ps shows the ID of an image whose name is gone, as dockerd');
    assert.equal(await ok(['start', '-a', 'gc-user']), 'kept\n');
    assert.equal(await ok(['start', '-a', 'gc-user']), 'kept\n', 'and again, after the exit released the rootfs');
    await ok(['rm', 'gc-user']);
    const hex = top.replace(/^sha256:/, '');
    await waitUntil('the unused layer is swept', () => !readdirSync(join(d.dataRoot, 'snapshots'), { recursive: true }).some((p) => String(p).includes(hex)));
    assert.ok(existsSync(join(d.dataRoot, 'snapshots')));
    assert.equal(await ok(['run', '--rm', 'busybox', 'echo', 'base']), 'base\n', 'busybox layers are untouched');
  });
});
