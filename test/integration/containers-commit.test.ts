// docker commit writes its blobs under an image-store lease, as pull and load do: a commit that fails after its
// layer is written (a bad --change) leaves no blob behind, and one that succeeds keeps its image whole.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();

describe('docker commit and the content store', { skip }, () => {
  let d: TestDaemon;
  const ok = async (args: string[]) => {
    const r = await d.docker(args, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}\n${d.logs().slice(-2000)}`);
    return r.stdout;
  };
  const blobs = async () => (await readdir(join(d.dataRoot, 'content/blobs/sha256'))).sort();

  before(async () => {
    d = await startContainerDaemon();
    await waitUntil('the built-in busybox', async () => (await d.docker(['image', 'inspect', 'busybox'])).code === 0, 30_000);
  });
  after(async () => { await d?.cleanup(); });

  test('a commit that fails after writing its layer takes the layer back out', async () => {
    await ok(['run', '--name', 'changed', 'busybox', 'sh', '-c', 'echo new > /new.txt']);
    const before = await blobs();
    const bad = await d.docker(['commit', '--change', 'BOGUS x', 'changed', 'committed:bad']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /BOGUS is not a valid change command/);
    await waitUntil('the abandoned layer to be swept', async () => (await blobs()).join() === before.join(), 10_000);

    const id = (await ok(['commit', '--change', 'CMD ["cat", "/new.txt"]', 'changed', 'committed:good'])).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await blobs()).length, before.length + 3, 'the layer, config and manifest of the new image');
    assert.equal(await ok(['run', '--rm', 'committed:good']), 'new\n');
  });
});
