// Real containers through the real docker CLI against berthd: run, exit codes, stdin, logs, stop,
// exec, ps, rm, restart policies, rename, wait, events, cp, diff, export, commit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { containersMissing, hostTraces, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';
import { runCommand } from '../helpers/docker-cli.ts';

const skip = containersMissing();

describe('containers through the docker CLI', { skip }, () => {
  let d: TestDaemon;
  let dir: string;
  const dk = (args: string[], input?: string) => d.docker(args, { ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 });
  const ok = async (args: string[], input?: string) => {
    const r = await dk(args, input);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}\n${d.logs().slice(-2000)}`);
    return r.stdout;
  };

  before(async () => {
    dir = await tempDir('containers-');
    d = await startContainerDaemon();
    await waitUntil('the built-in busybox', async () => (await dk(['image', 'inspect', 'busybox'])).code === 0, 30_000);
  });

  after(async () => {
    if (d) {
      const ids = (await dk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await dk(['rm', '-f', ...ids]);
      const traces = hostTraces([d.dataRoot, d.execRoot]);
      await d.cleanup();
      assert.deepEqual(traces.mounts, [], 'no rootfs mounts are left');
      assert.deepEqual(traces.shims, [], 'no shims are left');
    }
    if (dir) await removeDir(dir);
  });

  test('run --rm prints the output, exits 0 and removes the container', async () => {
    const r = await dk(['run', '--rm', '--name', 'rm-me', 'busybox', 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    assert.equal((await dk(['ps', '-a', '--filter', 'name=rm-me', '-q'])).stdout, '');
  });

  test('exit codes: the container status, 127 for a missing command, 125 for errors', async () => {
    assert.equal((await dk(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3'])).code, 3);
    const missing = await dk(['run', '--rm', 'busybox', 'no-such-command']);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /executable file not found in \$PATH/);
    const notExec = await dk(['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(notExec.code, 126, notExec.stderr);
    assert.equal((await dk(['run', '--rm', '--bogus-flag', 'busybox'])).code, 125);
    const badPolicy = await dk(['run', '--restart', 'sometimes', 'busybox']);
    assert.equal(badPolicy.code, 125);
    assert.match(badPolicy.stderr, /invalid restart policy/);
    assert.equal((await dk(['ps', '-aq'])).stdout, '', 'failed --rm runs leave nothing behind');
  });

  test('stdin: echo hi | docker run -i --rm busybox cat', async () => {
    const r = await dk(['run', '-i', '--rm', 'busybox', 'cat'], 'hi\nthere\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\nthere\n');
  });

  test('stdout and stderr stay apart, output after the client half-closed still arrives', async () => {
    const r = await dk(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; sleep 1; echo later']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'out\nlater\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('run -d, logs, logs -f until stop, stop escalates to SIGKILL (137)', async () => {
    const id = (await ok(['run', '-d', '--name', 'bg', 'busybox', 'sh', '-c', 'echo one; echo two >&2; sleep 300'])).trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    await waitUntil('the first log lines', async () => { const l = await dk(['logs', 'bg']); return l.stdout === 'one\n' && l.stderr === 'two\n'; });
    const logs = await dk(['logs', 'bg']);
    assert.equal(logs.stderr, 'two\n');
    const ts = await dk(['logs', '-t', '--tail', '1', 'bg']);
    assert.equal(ts.stdout, '');
    assert.match(ts.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z two\n$/);
    const follow = dk(['logs', '-f', 'bg']);
    const t0 = Date.now();
    await ok(['stop', '-t', '1', 'bg']);
    assert.ok(Date.now() - t0 >= 900, 'stop waited for the timeout before SIGKILL');
    const f = await follow;
    assert.equal(f.stdout, 'one\n', 'logs -f ended when the container stopped');
    assert.equal((await ok(['inspect', '-f', '{{.State.ExitCode}} {{.State.Status}} {{.State.Running}}', 'bg'])).trim(), '137 exited false');
    const again = await dk(['stop', 'bg']);
    assert.equal(again.code, 0, 'stopping a stopped container is not an error (304)');
    await ok(['rm', 'bg']);
  });

  test('exec: -e, -w, -u, exit codes, a stopped container is refused', async () => {
    await ok(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '300']);
    assert.equal(await ok(['exec', '-e', 'FOO=bar', 'ex', 'sh', '-c', 'echo $FOO']), 'bar\n');
    assert.equal(await ok(['exec', '-w', '/etc', 'ex', 'pwd']), '/etc\n');
    assert.equal(await ok(['exec', '-u', 'nobody', 'ex', 'id', '-u']), '65534\n');
    assert.equal(await ok(['exec', '-i', 'ex', 'cat'], 'piped\n'), 'piped\n');
    assert.equal((await dk(['exec', 'ex', 'sh', '-c', 'exit 5'])).code, 5);
    const missing = await dk(['exec', 'ex', 'no-such-command']);
    assert.equal(missing.code, 127, missing.stdout + missing.stderr);
    await ok(['kill', 'ex']);
    const stopped = await dk(['exec', 'ex', 'true']);
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stderr, /is not running/);
    await ok(['rm', 'ex']);
  });

  test('ps: all, filters, format; name conflicts; rm of a running container', async () => {
    await ok(['create', '--name', 'ps-created', '--label', 'suite=ps', 'busybox', 'true']);
    assert.equal((await dk(['run', '--name', 'ps-exited', '--label', 'suite=ps', 'busybox', 'sh', '-c', 'exit 2'])).code, 2);
    await ok(['run', '-d', '--name', 'ps-running', '--label', 'suite=ps', 'busybox', 'sleep', '300']);
    assert.equal(await ok(['ps', '--filter', 'label=suite=ps', '--format', '{{.Names}}']), 'ps-running\n');
    const all = (await ok(['ps', '-a', '--filter', 'label=suite=ps', '--format', '{{.Names}} {{.State}}'])).trim().split('\n').sort();
    assert.deepEqual(all, ['ps-created created', 'ps-exited exited', 'ps-running running']);
    assert.equal(await ok(['ps', '-a', '--filter', 'exited=2', '--format', '{{.Names}}']), 'ps-exited\n');
    assert.equal(await ok(['ps', '-a', '--filter', 'status=created', '--format', '{{.Names}}']), 'ps-created\n');
    assert.equal(await ok(['ps', '-a', '--filter', 'name=^/ps-r', '--format', '{{.Names}}']), 'ps-running\n');
    assert.match(await ok(['ps', '-a', '--filter', 'name=ps-exited', '--format', '{{.Status}}']), /^Exited \(2\) .* ago\n$/);
    const conflict = await dk(['run', '--name', 'ps-created', 'busybox']);
    assert.equal(conflict.code, 125);
    assert.match(conflict.stderr, /Conflict\. The container name "\/ps-created" is already in use by container "[a-f0-9]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\./);
    const running = await dk(['rm', 'ps-running']);
    assert.notEqual(running.code, 0);
    assert.match(running.stderr, /You cannot remove a running container [a-f0-9]{64}\. Stop the container before attempting removal or force remove/);
    await ok(['rm', '-f', 'ps-running', 'ps-created', 'ps-exited']);
    assert.equal(await ok(['ps', '-a', '--filter', 'label=suite=ps', '-q']), '');
    const gone = await dk(['inspect', 'ps-running']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such object: ps-running/);
  });

  test('restart policy on-failure:2 restarts twice, then stays exited', async () => {
    await ok(['run', '-d', '--name', 'rp', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo run; exit 4']);
    await waitUntil('two restarts', async () => (await ok(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'rp'])).trim() === '2 exited', 20_000);
    assert.equal(await ok(['logs', 'rp']), 'run\nrun\nrun\n');
    assert.equal((await ok(['inspect', '-f', '{{.State.ExitCode}}', 'rp'])).trim(), '4');
    await ok(['rm', 'rp']);
  });

  test('rename, wait, kill -s, events of a run --rm', async () => {
    await ok(['run', '-d', '--name', 'before', 'busybox', 'sh', '-c', 'trap "exit 7" USR1; while true; do sleep 0.1; done']);
    await ok(['rename', 'before', 'after']);
    assert.equal((await dk(['inspect', 'before'])).code, 1);
    const same = await dk(['rename', 'after', 'after']);
    assert.match(same.stderr, /Renaming a container with the same name as its current name/);
    const wait = dk(['wait', 'after']);
    await new Promise((r) => setTimeout(r, 300));
    await ok(['kill', '-s', 'USR1', 'after']);
    const w = await wait;
    assert.equal(w.stdout, '7\n');
    const notRunning = await dk(['kill', 'after']);
    assert.match(notRunning.stderr, /is not running/);
    await ok(['rm', 'after']);

    const since = Math.floor(Date.now() / 1000) - 1;
    await ok(['run', '--rm', '--name', 'evt', 'busybox', 'true']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const ev = await ok(['events', '--since', String(since), '--until', String(until), '--filter', 'container=evt', '--format', '{{.Action}}']);
    assert.deepEqual(ev.trim().split('\n'), ['create', 'attach', 'start', 'die', 'destroy']);
  });

  test('cp both ways, diff, export and commit', async () => {
    await ok(['run', '-d', '--name', 'fs', 'busybox', 'sh', '-c', 'echo made > /made.txt; rm /bin/zcat; sleep 300']);
    await waitUntil('the file', async () => (await dk(['exec', 'fs', 'cat', '/made.txt'])).stdout === 'made\n');
    const local = join(dir, 'cp');
    await mkdir(local, { recursive: true });
    await writeFile(join(local, 'in.txt'), 'from host\n');
    await ok(['cp', join(local, 'in.txt'), 'fs:/tmp/']);
    assert.equal(await ok(['exec', 'fs', 'cat', '/tmp/in.txt']), 'from host\n');
    await ok(['cp', 'fs:/made.txt', join(local, 'out.txt')]);
    assert.equal(await readFile(join(local, 'out.txt'), 'utf8'), 'made\n');
    const missing = await dk(['cp', 'fs:/nope', local]);
    assert.match(missing.stderr, /Could not find the file \/nope in container fs/);
    const diff = (await ok(['diff', 'fs'])).trim().split('\n');
    for (const line of ['A /made.txt', 'C /bin', 'D /bin/zcat', 'C /tmp', 'A /tmp/in.txt']) assert.ok(diff.includes(line), `${line} in ${diff.join(', ')}`);
    await ok(['stop', '-t', '0', 'fs']);
    // A stopped container: its rootfs is mounted just for the copy.
    await ok(['cp', 'fs:/tmp/in.txt', join(local, 'again.txt')]);
    assert.equal(await readFile(join(local, 'again.txt'), 'utf8'), 'from host\n');
    const tarPath = join(dir, 'export.tar');
    await ok(['export', '-o', tarPath, 'fs']);
    const listing = await runCommand('tar', ['-tf', tarPath], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const names = listing.stdout.split('\n');
    assert.ok(names.includes('made.txt') && names.includes('bin/busybox') && !names.includes('bin/zcat'), 'export holds the merged rootfs');
    const image = (await ok(['commit', '-c', 'CMD ["cat", "/made.txt"]', 'fs', 'committed:v1'])).trim();
    assert.match(image, /^sha256:[a-f0-9]{64}$/);
    assert.equal(await ok(['run', '--rm', 'committed:v1']), 'made\n');
    assert.equal((await dk(['run', '--rm', 'committed:v1', 'ls', '/bin/zcat'])).code, 1, 'the deletion is in the committed layer');
    const inUse = await dk(['rmi', 'busybox']);
    assert.notEqual(inUse.code, 0, 'an image a container uses cannot be removed');
    await ok(['rm', 'fs']);
    await ok(['rmi', 'committed:v1']);
  });
});
