// Issue 3's bad input: a supervisor killed under a running container, and Docker's errors and exit
// codes for bad flags, missing images, name conflicts and commands that cannot run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { containersMissing, hostTraces, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();

// A zombie no longer runs: only a process that has not exited counts.
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch { return false; }
};

describe('containers: bad input', { skip }, () => {
  let d: TestDaemon & { shortExecRoot: string };
  let execRoot: string;
  const dk = (args: string[]) => d.docker(args, { timeoutMs: 60_000 });
  const ok = async (args: string[]) => {
    const r = await dk(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}\n${d.logs().slice(-2000)}`);
    return r.stdout;
  };
  const fails = async (args: string[], code: number, text: RegExp) => {
    const r = await dk(args);
    assert.equal(r.code, code, `docker ${args.join(' ')}: ${r.code} ${r.stderr}`);
    assert.match(r.stderr, text);
  };
  const shimPid = (id: string) => Number(readFileSync(join(execRoot, 'containers', id, 'shim.pid'), 'utf8').trim());

  before(async () => {
    d = await startContainerDaemon({ keepExecRoot: true });
    execRoot = d.shortExecRoot;
    await waitUntil('the built-in busybox', async () => (await dk(['image', 'inspect', 'busybox'])).code === 0, 30_000);
  });

  after(async () => {
    if (d) {
      const ids = (await dk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await dk(['rm', '-f', ...ids]);
      const traces = hostTraces([d.dataRoot, execRoot]);
      await d.cleanup();
      assert.deepEqual(traces.mounts, []);
      assert.deepEqual(traces.shims, []);
    }
    if (execRoot) rmSync(execRoot, { recursive: true, force: true });
  });

  test('kill -9 of the shim: the container is killed, exits 255 naming the supervisor, and is cleaned up', async () => {
    const id = (await ok(['run', '-d', '--name', 'orphan', 'busybox', 'sh', '-c', 'sleep 300 & sleep 300'])).trim();
    const pid = Number((await ok(['inspect', '-f', '{{.State.Pid}}', id])).trim());
    assert.ok(alive(pid));
    // The background sleep too: everything in the container, not only its init, must go.
    await waitUntil('the background child', () => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim() !== '');
    const pids = [pid, ...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number)];
    process.kill(shimPid(id), 'SIGKILL');
    await waitUntil('the container to exit', async () => (await ok(['inspect', '-f', '{{.State.Running}}', id])).trim() === 'false', 15_000);
    const [code, error] = (await ok(['inspect', '-f', '{{.State.ExitCode}}|{{.State.Error}}', id])).trim().split('|');
    assert.equal(code, '255');
    assert.match(error ?? '', /shim/);
    await waitUntil('every process of the container to go', () => pids.every((p) => !alive(p)), 5_000);
    assert.deepEqual(hostTraces([join(d.dataRoot, 'containers', id)]).mounts, []);
    await ok(['rm', id]);
    assert.equal((await ok(['run', '--rm', 'busybox', 'echo', 'ok'])).trim(), 'ok');
  });

  test('kill -9 of the shim under --restart always: the container comes back', async () => {
    const id = (await ok(['run', '-d', '--restart', 'always', 'busybox', 'sleep', '300'])).trim();
    const pid = Number((await ok(['inspect', '-f', '{{.State.Pid}}', id])).trim());
    process.kill(shimPid(id), 'SIGKILL');
    await waitUntil('a new process', async () => {
      const [running, p] = (await ok(['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', id])).trim().split(' ');
      return running === 'true' && Number(p) !== pid && Number(p) > 0;
    }, 15_000);
    await waitUntil('the old process to go', () => !alive(pid), 5_000);
    await ok(['rm', '-f', id]);
  });

  test("Docker's errors and exit codes for bad input; the daemon stays healthy", async () => {
    const before = (await ok(['ps', '-aq'])).split('\n').filter(Boolean).length;
    await fails(['run', '-m', 'garbage', 'busybox', 'true'], 125, /invalid argument "garbage" for "-m, --memory"/);
    await fails(['run', '-p', '99999:80', 'busybox', 'true'], 125, /99999/);
    await fails(['run', 'nosuchimage-xyz'], 125, /Unable to find image 'nosuchimage-xyz:latest' locally/);
    await ok(['create', '--name', 'taken', 'busybox', 'true']);
    await fails(['run', '--name', 'taken', 'busybox', 'true'], 125, /Conflict\. The container name "\/taken" is already in use/);
    await fails(['run', '--rm', 'busybox', 'nosuchcmd'], 127, /executable file not found in \$PATH/);
    await fails(['run', '--rm', 'busybox', '/etc'], 126, /permission denied|is a directory/);
    await ok(['info']);
    const names = (await ok(['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter(Boolean);
    assert.ok(names.includes('taken'));
    assert.equal(names.length, before + 1, names.join(','));
    await ok(['rm', 'taken']);
  });
});
