// Issue 3 audit: what a demanding user met, checked side by side with dockerd 20.10 and moby's
// code. Hard links in export and cp, a working directory the image lacks, dockerd's texts for
// its own start and exec checks, a failed start leaving the container "created", exec's user
// groups, diff and commit without the runtime's mount points, and update's memory rules.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';
import { DOCKER_CLI, runCommand } from '../helpers/docker-cli.ts';

import { berthCliCommand } from '../helpers/berth-cli.ts';

const BERTH_CLI_ARGS = berthCliCommand()!.slice(1);

const skip = containersMissing();

describe('issue 3 audit: containers beside dockerd', { skip }, () => {
  let d: TestDaemon;
  let dir: string;
  const dk = (args: string[]) => d.docker(args, { timeoutMs: 60_000 });
  const ok = async (args: string[]) => {
    const r = await dk(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}\n${d.logs().slice(-2000)}`);
    return r.stdout;
  };
  const berth = (args: string[]) => runCommand(process.execPath, [...BERTH_CLI_ARGS, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, BERTH_HOST: d.host }, timeoutMs: 60_000,
  });

  before(async () => {
    dir = await tempDir('audit3-');
    d = await startContainerDaemon();
    await waitUntil('the built-in busybox', async () => (await dk(['image', 'inspect', 'busybox'])).code === 0, 30_000);
    await ok(['run', '-d', '--name', 'box', '--group-add', 'users', 'busybox', 'sleep', '600']);
  });

  after(async () => {
    if (d) {
      const ids = (await dk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await dk(['rm', '-f', ...ids]);
      await d.cleanup();
    }
    if (dir) await removeDir(dir);
  });

  test('export and cp of a directory write a hard link once; sizes count it once', async () => {
    const tar = join(dir, 'box.tar');
    await ok(['export', '-o', tar, 'box']);
    // busybox is one 2 MB binary under some 400 names: copies of it would make half a gigabyte.
    assert.ok((await stat(tar)).size < 10 * 1024 * 1024, `export is ${(await stat(tar)).size} bytes`);
    const listing = execFileSync('tar', ['tvf', tar], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n');
    const links = listing.filter((l) => l.startsWith('h'));
    assert.ok(links.length > 100, `hard link entries: ${links.length}`);
    const out = join(dir, 'bin');
    await mkdir(out);
    await ok(['cp', 'box:/bin', out]);
    const sh = await stat(join(out, 'bin', 'sh'));
    assert.ok(sh.nlink > 1, 'docker cp extracted /bin/sh as a link to the one busybox binary');
    const size = (await ok(['ps', '-s', '--filter', 'name=box', '--format', '{{.Size}}'])).trim();
    assert.match(size, /\(virtual [\d.]+MB\)$/);
    assert.ok(Number(/virtual ([\d.]+)MB/.exec(size)![1]) < 10, size);
  });

  test('-w makes a working directory the image lacks (root, 0755), for berth and docker; a file there is refused', async () => {
    assert.deepEqual(await dk(['run', '--rm', '--user', 'nobody', '-w', '/new/work', 'busybox', 'sh', '-c', 'pwd; stat -c "%U %a" .']),
      { code: 0, stdout: '/new/work\nroot 755\n', stderr: '' });
    const b = await berth(['run', '--rm', '-w', '/made/by/berth', 'busybox', 'pwd']);
    assert.deepEqual([b.code, b.stdout, b.stderr], [0, '/made/by/berth\n', '']);
    const file = await dk(['run', '--rm', '-w', '/etc/passwd', 'busybox', 'true']);
    assert.equal(file.code, 125);
    // dockerd's own check, not runc's chdir failure, and no "Error waiting for container" line before it.
    assert.equal(file.stderr, "docker: Error response from daemon: Cannot mkdir: /etc/passwd is not a directory\n\nRun 'docker run --help' for more information\n");
  });

  test('a start that fails leaves the container created with the code; dockerd\'s user check is its own text', async () => {
    const user = await dk(['run', '--name', 'nouser', '--user', 'nosuch', 'busybox', 'true']);
    assert.equal(user.code, 125);
    assert.equal(user.stderr, "docker: Error response from daemon: unable to find user nosuch: no matching entries in passwd file\n\nRun 'docker run --help' for more information\n");
    assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.StartedAt}}', 'nouser'])).trim(), 'created 128 0001-01-01T00:00:00Z');
    const missing = await dk(['run', '--name', 'nocmd', 'busybox', 'no-such-command']);
    assert.equal(missing.code, 127);
    assert.equal((await ok(['ps', '-a', '--filter', 'name=nocmd', '--format', '{{.Status}}'])).trim(), 'Created');
    const rm = await dk(['run', '--rm', '--user', 'nosuch', 'busybox', 'true']);
    assert.equal(rm.code, 125);
    assert.doesNotMatch(rm.stderr, /Error waiting for container/);
    await ok(['rm', 'nouser', 'nocmd']);
  });

  test('exec -u takes the user\'s own groups (and --group-add), never those of the container\'s root', async () => {
    assert.equal(await ok(['exec', '-u', 'nobody', 'box', 'id']), 'uid=65534(nobody) gid=65534(nogroup) groups=100(users),65534(nogroup)\n');
    assert.equal(await ok(['exec', '-u', '1000:1000', 'box', 'id']), 'uid=1000 gid=1000 groups=100(users),1000\n');
  });

  test('exec failures before the process exists: dockerd\'s texts and 126; a paused container named as given', async () => {
    const cwd = await dk(['exec', '-w', '/nonexist', 'box', 'pwd']);
    assert.equal(cwd.code, 126);
    assert.match(cwd.stdout + cwd.stderr, /^OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd \("\/nonexist"\) set in config.json failed: no such file or directory: unknown\r?\n$/i);
    const user = await dk(['exec', '-u', 'nosuch', 'box', 'true']);
    assert.equal(user.code, 126);
    assert.equal((user.stdout + user.stderr).trimEnd(), 'unable to find user nosuch: no matching entries in passwd file');
    await ok(['pause', 'box']);
    try {
      const paused = await dk(['exec', 'box', 'true']);
      assert.equal(paused.code, 1);
      assert.equal(paused.stderr, 'Error response from daemon: Container box is paused, unpause the container before exec\n');
    } finally {
      await ok(['unpause', 'box']);
    }
  });

  test('diff and commit leave out the mount points the runtime made (/etc/hosts, /proc, /sys)', async () => {
    await ok(['run', '--name', 'changer', 'busybox', 'sh', '-c', 'echo x > /tmp/new']);
    assert.deepEqual((await ok(['diff', 'changer'])).trim().split('\n'), ['C /tmp', 'A /tmp/new']);
    await ok(['commit', 'changer', 'audit3:committed']);
    const saved = join(dir, 'saved');
    await mkdir(saved);
    execFileSync('sh', ['-c', `${DOCKER_CLI} save audit3:committed | tar x -C ${saved}`], { env: { ...process.env, DOCKER_HOST: d.host } });
    const manifest = JSON.parse(await readFile(join(saved, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    const top = manifest[0]!.Layers.at(-1)!;
    const entries = execFileSync('tar', ['tf', join(saved, top)], { encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.deepEqual(entries, ['tmp/', 'tmp/new']);
    await ok(['rm', 'changer']);
    await ok(['rmi', 'audit3:committed']);
  });

  test('update -m above the swap limit already set needs --memory-swap too, as dockerd says', async () => {
    const id = (await ok(['run', '-d', 'busybox', 'sleep', '300'])).trim();
    const r = await dk(['update', '-m', '64m', id]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error response from daemon: Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time\n`);
    assert.equal((await ok(['inspect', '-f', '{{.HostConfig.Memory}}', id])).trim(), '0', 'a refused update changes nothing');
    await ok(['update', '-m', '64m', '--memory-swap', '128m', id]);
    assert.equal((await ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', id])).trim(), `${64 << 20} ${128 << 20}`);
    await ok(['rm', '-f', id]);
  });

  test('top with options ps refuses: the first line of ps\'s complaint, as dockerd words it', async () => {
    const r = await dk(['top', 'box', 'garbage']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error response from daemon: ps: .+\n$/);
  });

  test('system df counts the containers and the images they use; system prune runs through the docker CLI', async () => {
    await ok(['create', '--name', 'idle', 'busybox', 'true']);
    const all = (await ok(['ps', '-aq'])).split('\n').filter(Boolean).length;
    const running = (await ok(['ps', '-q'])).split('\n').filter(Boolean).length;
    const df = (await ok(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}'])).split('\n');
    assert.ok(df.includes(`Containers ${all} ${running}`), df.join('\n'));
    assert.match(df.find((l) => l.startsWith('Images '))!, /^Images \d+ 1$/, 'busybox is in use');
    const pruned = await dk(['system', 'prune', '-f']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n[\s\S]*Total reclaimed space: /);
    assert.equal((await dk(['inspect', 'idle'])).code, 1, 'the stopped container is gone');
    assert.equal((await ok(['inspect', '-f', '{{.State.Running}}', 'box'])).trim(), 'true');
  });

  test('create refuses a relative -w and an unknown --stop-signal, as dockerd does (not at start)', async () => {
    const wd = await dk(['create', '-w', 'relative', 'busybox']);
    assert.equal(wd.code, 1);
    assert.equal(wd.stderr, "Error response from daemon: the working directory 'relative' is invalid, it needs to be an absolute path\n");
    const sig = await dk(['create', '--stop-signal', 'garbage', 'busybox']);
    assert.equal(sig.code, 1);
    assert.equal(sig.stderr, 'Error response from daemon: Invalid signal: garbage\n');
    await ok(['rm', (await ok(['create', '--stop-signal', 'SIGUSR1', 'busybox'])).trim()]);
  });

  test('logs --details puts the (empty) details and a space before each line', async () => {
    await ok(['run', '--name', 'detailed', 'busybox', 'sh', '-c', 'echo a; echo b >&2']);
    const r = await dk(['logs', '--details', 'detailed']);
    assert.deepEqual([r.stdout, r.stderr], [' a\n', ' b\n']);
    assert.match(await ok(['logs', '--details', '-t', 'detailed']), /^\d{4}-\d\d-\d\dT[\d:.]+Z  a\n$/);
    await ok(['rm', 'detailed']);
  });

  test("events of exec, top, cp both ways and commit, in dockerd's words", async () => {
    const since = Math.floor(Date.now() / 1000);
    await ok(['run', '-d', '--name', 'evented', 'busybox', 'sleep', '300']);
    await ok(['exec', 'evented', 'true']);
    await ok(['top', 'evented']);
    const out = join(dir, 'hostname');
    await ok(['cp', 'evented:/etc/hostname', out]);
    await ok(['cp', out, 'evented:/tmp/']);
    await ok(['commit', 'evented', 'audit3:evented']);
    await ok(['rm', '-f', 'evented']);
    await ok(['rmi', 'audit3:evented']);
    const until = Math.ceil(Date.now() / 1000) + 1;
    const events = (await ok(['events', '--since', String(since), '--until', String(until), '--filter', 'type=container', '--filter', 'type=image', '--format', '{{.Type}} {{.Action}}'])).split('\n');
    for (const e of ['container exec_create: true ', 'container exec_start: true ', 'container top', 'container archive-path', 'container extract-to-dir', 'container pause', 'container unpause', 'image tag', 'container commit']) {
      assert.ok(events.includes(e), `${JSON.stringify(e)} in\n${events.join('\n')}`);
    }
  });

  test('a long log (10 MB of 41-byte lines) comes back whole, without piling up listeners', async () => {
    await ok(['run', '--name', 'chatty', 'busybox', 'sh', '-c', 'yes 0123456789012345678901234567890123456789 | head -c 10000000']);
    const r = await dk(['logs', 'chatty']);
    assert.equal(r.stdout.length, 10_000_000);
    assert.doesNotMatch(d.logs(), /MaxListenersExceededWarning/);
    await ok(['rm', 'chatty']);
  });
});
