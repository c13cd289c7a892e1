// Containers across a daemon crash, cgroup-backed commands (top, stats, pause, limits), a TTY, and
// the API through dockerode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import Docker from 'dockerode';
import { containersMissing, hostTraces, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();

describe('container lifecycle', { skip }, () => {
  let d: TestDaemon & { shortExecRoot: string };
  let execRoot: string;
  const dk = (args: string[], input?: string) => d.docker(args, { ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 });
  const ok = async (args: string[], input?: string) => {
    const r = await dk(args, input);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}\n${d.logs().slice(-2000)}`);
    return r.stdout;
  };
  const start = async (dataRoot?: string) => {
    d = await startContainerDaemon({ keepExecRoot: true, ...(dataRoot ? { dataRoot, execRoot } : {}) });
    execRoot = d.shortExecRoot;
    await waitUntil('the built-in busybox', async () => (await dk(['image', 'inspect', 'busybox'])).code === 0, 30_000);
  };

  before(async () => {
    await start();
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

  test('kill -9 of berthd: running containers survive, exited ones show their code, always restarts', async () => {
    await ok(['run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'echo up; sleep 300']);
    await ok(['run', '-d', '--name', 'quitter', 'busybox', 'sh', '-c', 'sleep 1; exit 9']);
    await ok(['run', '-d', '--name', 'keeper', '--restart', 'always', 'busybox', 'sleep', '300']);
    const pid = (await ok(['inspect', '-f', '{{.State.Pid}}', 'survivor'])).trim();
    const keeperPid = Number((await ok(['inspect', '-f', '{{.State.Pid}}', 'keeper'])).trim());
    const dataRoot = d.dataRoot;
    d.process.kill('SIGKILL');
    await new Promise((r) => d.process.once('exit', r));
    // While no daemon runs: quitter exits by itself, keeper is killed.
    process.kill(keeperPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(Number(pid), 0); // still alive
    await start(dataRoot);
    assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'survivor'])).trim(), `running ${pid}`);
    assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'quitter'])).trim(), 'exited 9');
    await waitUntil('keeper to be restarted', async () => (await ok(['inspect', '-f', '{{.State.Status}}', 'keeper'])).trim() === 'running');
    assert.notEqual(Number((await ok(['inspect', '-f', '{{.State.Pid}}', 'keeper'])).trim()), keeperPid);
    assert.equal(await ok(['logs', 'survivor']), 'up\n');
    await ok(['stop', '-t', '1', 'survivor']);
    assert.equal((await ok(['inspect', '-f', '{{.State.ExitCode}}', 'survivor'])).trim(), '137');
    await ok(['rm', '-f', 'survivor', 'quitter', 'keeper']);
  });

  test('top, stats, pause and unpause', async () => {
    await ok(['run', '-d', '--name', 'busy', 'busybox', 'sh', '-c', 'sleep 300']);
    const top = await ok(['top', 'busy']);
    assert.match(top, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n/);
    assert.match(top, /sleep 300/);
    const stats = await ok(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}} {{.MemUsage}}', 'busy']);
    assert.match(stats, /^busy [12] [\d.]+[KMG]?i?B \/ [\d.]+[KMGT]iB\n$/);
    await ok(['pause', 'busy']);
    assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'busy'])).trim(), 'paused true');
    assert.match(await ok(['ps', '--filter', 'name=busy', '--format', '{{.Status}}']), /\(Paused\)/);
    const again = await dk(['pause', 'busy']);
    assert.match(again.stderr, /is already paused/);
    await ok(['unpause', 'busy']);
    assert.equal((await ok(['inspect', '-f', '{{.State.Status}}', 'busy'])).trim(), 'running');
    await ok(['rm', '-f', 'busy']);
  });

  test('limits: OOM kill is 137 with OOMKilled, a pids limit makes fork fail', async () => {
    const oom = await dk(['run', '--name', 'hog', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=a; while true; do x=$x$x; done']);
    assert.equal(oom.code, 137, oom.stderr);
    assert.equal((await ok(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'hog'])).trim(), 'true 137');
    await ok(['rm', 'hog']);
    const pids = await dk(['run', '--rm', '--pids-limit', '5', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait']);
    assert.match(pids.stderr, /can't fork|Resource temporarily unavailable/);
  });

  test('dockerode: create, attach, start, wait, logs, inspect, remove', async () => {
    const api = new Docker({ socketPath: d.socket });
    const c = await api.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo via-dockerode; exit 4'], Labels: { via: 'dockerode' } });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    const ended = new Promise((r) => stream.on('end', r));
    await c.start();
    const w = await c.wait();
    assert.equal(w.StatusCode, 4);
    await ended;
    const out = Buffer.concat(chunks);
    assert.equal(out[0], 1, 'multiplexed: stdout frame');
    assert.equal(out.subarray(8).toString(), 'via-dockerode\n');
    const info = await c.inspect();
    assert.equal(info.State.ExitCode, 4);
    assert.equal(info.Config.Labels.via, 'dockerode');
    const logs = await c.logs({ stdout: true, stderr: true });
    assert.equal(logs.subarray(8).toString(), 'via-dockerode\n');
    const list = await api.listContainers({ all: true, filters: { label: ['via=dockerode'] } });
    assert.equal(list.length, 1);
    await c.remove();
    await assert.rejects(c.inspect(), /No such container/);
  });

  test('a TTY: raw output, no multiplexing', async () => {
    const api = new Docker({ socketPath: d.socket });
    const c = await api.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'tty; echo out; echo err >&2'], Tty: true });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    const ended = new Promise((r) => stream.on('end', r));
    await c.start();
    await c.wait();
    await ended;
    const out = Buffer.concat(chunks).toString();
    assert.match(out, /^\/dev\/pts\/0\r\nout\r\nerr\r\n$/);
    await c.remove();
  });
});
