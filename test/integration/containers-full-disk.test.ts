// A full disk (issue 3, bad input): a data root on a small tmpfs filled by a container. berthd answers with one clear
// line instead of hanging or crashing, its records stay readable across a restart, and it works again once space is
// freed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();

/** Temp files of atomic writes (`.tmp-*`) anywhere under the data root's records. */
function tempFiles(dataRoot: string): string[] {
  const out: string[] = [];
  for (const dir of ['containers', 'metadata']) {
    for (const name of readdirSync(join(dataRoot, dir), { recursive: true, encoding: 'utf8' })) {
      if (/\.tmp-/.test(name)) out.push(join(dir, name));
    }
  }
  return out;
}

describe('a full disk under the data root', { skip }, () => {
  const dir = mkdtempSync('/tmp/berth-full-');
  const dataRoot = join(dir, 'data');
  const execRoot = mkdtempSync('/run/bt-');
  let d: TestDaemon | undefined;

  const start = async () => {
    d = await startContainerDaemon({ dataRoot, execRoot, keepExecRoot: true });
    await waitUntil('the built-in busybox', async () => (await d!.docker(['image', 'inspect', 'busybox'])).code === 0, 30_000);
    return d;
  };

  before(async () => {
    mkdirSync(dataRoot);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'berth-full-test', dataRoot]);
    await start();
  });

  after(async () => {
    if (d) {
      const ids = (await d.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await d.docker(['rm', '-f', ...ids]);
      await d.cleanup();
    }
    try { execFileSync('umount', ['-l', dataRoot]); } catch { /* not mounted */ }
    rmSync(dir, { recursive: true, force: true });
    rmSync(execRoot, { recursive: true, force: true });
  });

  test('a container filling the disk gets ENOSPC; the daemon stays healthy and says so', async () => {
    const sleeper = await d!.docker(['run', '-d', '--name', 'sleeper', '--network', 'none', 'busybox', 'sleep', '1000']);
    assert.equal(sleeper.code, 0, sleeper.stderr);
    // The filler stops once dd hits ENOSPC (its upper dir keeps the disk full), then talks to a log that cannot grow.
    const script = 'echo start; dd if=/dev/zero of=/fill bs=1M; s=$?; i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done; exit $s';
    const fill = await d!.docker(['run', '--name', 'filler', '--network', 'none', 'busybox', 'sh', '-c', script], { timeoutMs: 20_000 });
    assert.equal(fill.code, 1, fill.stderr);
    assert.match(fill.stderr, /No space left on device/);
    await waitUntil('the disk to fill', () => {
      const avail = Number(execFileSync('df', ['--output=avail', '-B1', dataRoot], { encoding: 'utf8' }).split('\n')[1]);
      return avail < 1024 * 1024;
    }, 30_000);
    // Another container now: it works or fails with one line about the disk — never hangs, never a 500 stack.
    const next = await d!.docker(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'ok'], { timeoutMs: 30_000 });
    if (next.code === 0) {
      assert.equal(next.stdout, 'ok\n');
    } else {
      assert.equal(next.code, 125, next.stderr);
      assert.match(next.stderr, /no space left on device/i);
    }
    // The output went to the terminal whole; the log dropped what did not fit, and holds no torn line.
    assert.match(fill.stdout, /line 499\n$/);
    const logs = await d!.docker(['logs', 'filler']);
    assert.equal(logs.code, 0, logs.stderr);
    const logFile = (await d!.docker(['inspect', '--format', '{{.LogPath}}', 'filler'])).stdout.trim();
    for (const line of readFileSync(logFile, 'utf8').split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), line);
    // A transition the disk cannot record still happens.
    const kill = await d!.docker(['kill', 'sleeper']);
    assert.equal(kill.code, 0, kill.stderr);
    const info = await d!.docker(['info', '--format', '{{.ContainersRunning}}']);
    assert.equal(info.code, 0, info.stderr);
    const ps = await d!.docker(['ps', '-a', '--format', '{{.Names}} {{.State}}']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^filler exited$/m);
    assert.match(ps.stdout, /^sleeper exited$/m);
    assert.equal(info.stdout, '0\n');
    // The exit could not be written: said once in the log, and no half-written temp file holds on to space.
    assert.match(d!.logs(), /cannot record the state of container [0-9a-f]{64}: write: no space left on device/);
    assert.deepEqual(tempFiles(dataRoot), []);
  });

  test('after a restart on the full disk the records are sane, and freeing space makes it work again', async () => {
    await d!.stop();
    d = undefined;
    await start();
    const ps = await d!.docker(['ps', '-a', '--format', '{{.Names}} {{.State}}']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^filler exited$/m);
    // The exit the full disk could not take was kept off it (the exec root): its code survives the restart.
    const code = await d!.docker(['inspect', '--format', '{{.State.ExitCode}}', 'filler']);
    assert.equal(code.stdout, '1\n', code.stderr);
    for (const line of ps.stdout.trim().split('\n')) assert.match(line, /^\S+ (running|exited|created)$/);
    // The disk still holds the last record it could take; the exit is kept off it meanwhile.
    const id = (await d!.docker(['inspect', '--format', '{{.Id}}', 'sleeper'])).stdout.trim();
    const onDisk = () => JSON.parse(readFileSync(join(dataRoot, 'containers', id, 'config.v2.json'), 'utf8')) as { State: { Status: string; ExitCode: number } };
    assert.equal(onDisk().State.Status, 'running');
    assert.match((await d!.docker(['ps', '-a', '--filter', 'name=sleeper', '--format', '{{.Status}}'])).stdout, /^Exited \(137\)/);
    const rm = await d!.docker(['rm', '-f', 'filler']);
    assert.equal(rm.code, 0, rm.stderr);
    // The space is back: the records that were held back are written.
    await waitUntil('the exit of sleeper on disk', () => onDisk().State.Status === 'exited', 15_000);
    assert.equal(onDisk().State.ExitCode, 137);
    const ok = await d!.docker(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'ok'], { timeoutMs: 30_000 });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'ok\n');
    assert.deepEqual(tempFiles(dataRoot), []);
  });
});
