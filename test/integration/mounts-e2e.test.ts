// Bind mounts and tmpfs mounts of real containers through the docker CLI against a berthd of the test: a bind
// is writable and shared with the host, `:ro` / `readonly` are enforced by the kernel, a tmpfs' size is a hard
// limit, propagation shows in inspect; bad mount specs get dockerd's texts (compared with a real dockerd).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import { dockerdMissing, startDockerd, type TestDockerd } from '../helpers/dockerd.ts';
import { tempDir, removeDir } from '../helpers/tmp.ts';
import type { RunResult } from '../helpers/docker-cli.ts';

const skip = containersMissing();

type ContainerDaemon = Awaited<ReturnType<typeof startContainerDaemon>>;

describe('bind and tmpfs mounts through the docker CLI', { skip }, () => {
  let d: ContainerDaemon;
  let dir: string;
  const docker = (...args: string[]) => d.docker(args);
  const ok = async (...args: string[]) => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    d = await startContainerDaemon();
    dir = await tempDir('mounts-');
    await writeFile(join(dir, 'in.txt'), 'from the host\n');
  });
  after(async () => {
    await d?.cleanup();
    if (dir) await removeDir(dir);
  });

  test('-v host:ctr is shared both ways; :ro and --mount readonly refuse writes', async () => {
    assert.equal(await ok('run', '--rm', '-v', `${dir}:/data`, 'busybox', 'sh', '-c', 'cat /data/in.txt; echo from the container > /data/out.txt'), 'from the host\n');
    assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), 'from the container\n');

    for (const spec of [['-v', `${dir}:/data:ro`], ['--mount', `type=bind,src=${dir},dst=/data,readonly`]]) {
      const r = await docker('run', '--rm', ...spec, 'busybox', 'sh', '-c', 'cat /data/in.txt && echo x > /data/ro.txt');
      assert.equal(r.stdout, 'from the host\n', spec.join(' '));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Read-only file system/);
      assert.ok(!existsSync(join(dir, 'ro.txt')), `${spec.join(' ')} let the container write`);
    }
    // The container's own root stays writable beside a read-only bind.
    await ok('run', '--rm', '-v', `${dir}:/data:ro`, 'busybox', 'touch', '/elsewhere');
  });

  test('-v with a missing host path creates it (dockerd does); propagation shows in inspect', async () => {
    const made = join(dir, 'made', 'deeper');
    await ok('run', '--rm', '-v', `${made}:/m`, 'busybox', 'touch', '/m/f');
    assert.ok(existsSync(join(made, 'f')));
    await ok('create', '--name', 'prop', '--mount', `type=bind,src=${dir},dst=/p,bind-propagation=rslave`, 'busybox', 'true');
    assert.equal((await ok('inspect', '-f', '{{range .Mounts}}{{.Type}} {{.Source}} {{.Destination}} {{.RW}} {{.Propagation}}{{end}}', 'prop')).trim(),
      `bind ${dir} /p true rslave`);
    await ok('start', '-a', 'prop');
    await ok('rm', 'prop');
  });

  test('--tmpfs and --mount type=tmpfs: an empty tmpfs whose size is a hard limit', async () => {
    for (const spec of [['--tmpfs', '/t:size=1m'], ['--mount', 'type=tmpfs,dst=/t,tmpfs-size=1048576']]) {
      const df = await ok('run', '--rm', ...spec, 'busybox', 'df', '-k', '/t');
      assert.match(df, /\ntmpfs +1024 /, spec.join(' '));
      const fill = await docker('run', '--rm', ...spec, 'busybox', 'dd', 'if=/dev/zero', 'of=/t/big', 'bs=1024', 'count=2048');
      assert.notEqual(fill.code, 0, `${spec.join(' ')}: 2 MiB fit in a 1 MiB tmpfs`);
      assert.match(fill.stderr, /No space left on device/);
    }
    // Nothing of a tmpfs is kept: the next container sees an empty one.
    assert.equal(await ok('run', '--rm', '--tmpfs', '/t', 'busybox', 'ls', '-A', '/t'), '');
  });
});

describe('bad mount specs: berthd and dockerd side by side', { skip: skip || (dockerdMissing() ?? false) }, () => {
  let d: ContainerDaemon;
  let k: TestDockerd;
  let saved: string;

  before(async () => {
    saved = await tempDir('mounts-busybox-');
    [d, k] = await Promise.all([startContainerDaemon(), startDockerd()]);
    await waitUntil('the built-in busybox', async () => (await d.docker(['image', 'inspect', 'busybox'])).code === 0);
    assert.equal((await d.docker(['save', '-o', `${saved}/busybox.tar`, 'busybox'])).code, 0);
    await k.dockerOk(['load', '-i', `${saved}/busybox.tar`]);
  });
  after(async () => {
    await Promise.all([d, k].map((x) => x?.cleanup()));
    if (saved) await removeDir(saved);
  });

  test('a bind source that does not exist, relative and empty targets, unknown types and options', async () => {
    const norm = (r: RunResult) => ({ code: r.code, stdout: r.stdout.replace(/\b[0-9a-f]{64}\b/g, '<id>'), stderr: r.stderr });
    for (const spec of [
      ['--mount', 'type=bind,src=/nonexistent-berth-src,dst=/x'],
      ['--mount', 'type=bind,src=/tmp,dst=rel'],
      ['--mount', 'type=bind,dst=/x'],
      ['--mount', 'type=tmpfs,src=/tmp,dst=/x'],
      ['--mount', 'type=bogus,dst=/x'],
      ['-v', '/tmp:/x:bogus'],
      ['-v', '/tmp:rel'],
      ['--tmpfs', 'rel'],
    ]) {
      const args = ['run', '--rm', ...spec, 'busybox', 'true'];
      assert.deepEqual(norm(await d.docker(args)), norm(await k.docker(args)), `docker ${args.join(' ')}`);
    }
  });
});
