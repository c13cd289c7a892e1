// Create-time checks through the docker CLI: dockerd's 400 texts, the host's cgroups (warnings),
// --privileged and --ulimit on a host without CAP_SYS_RESOURCE, and --network host's hostname.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();

describe('container create: validation, host facts', { skip }, () => {
  let d: TestDaemon;
  const dk = (args: string[]) => d.docker(args, { timeoutMs: 60_000 });

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

  test("dockerd's 400 texts exit 125 and create nothing", async () => {
    const cases: [string[], RegExp][] = [
      [['--memory', '1m'], /Minimum memory limit allowed is 6MB/],
      [['--restart', 'x'], /invalid restart policy 'x'/],
      [['--cpus', '64'], /Range of CPUs is from 0.01 to \d+\.00, as there are only \d+ CPUs available/],
      [['--memory', '10m', '--memory-reservation', '20m'], /Minimum memory limit can not be less than memory reservation limit/],
      [['--oom-score-adj', '2000'], /range for oom score adj is \[-1000, 1000\]/],
      [['--cpuset-cpus', '63'], /Requested CPUs are not available - requested 63, available: /],
      [['--cap-add', 'nope'], /unknown capability: "CAP_NOPE"/],
    ];
    for (const [flags, text] of cases) {
      const r = await dk(['run', '-d', ...flags, 'busybox', 'true']);
      assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, text, flags.join(' '));
    }
    assert.equal((await dk(['ps', '-aq'])).stdout, '');
  });

  test('a memory limit reaches the cgroup, swap defaults to twice it, --cpus and limits the cgroups lack warn', async () => {
    const id = (await dk(['run', '-d', '--memory', '32m', 'busybox', 'sleep', '60'])).stdout.trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    assert.equal((await dk(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', id])).stdout.trim(), '33554432 67108864');
    const memRoot = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f.at(-3) === 'cgroup' && /\bmemory\b/.test(f.at(-1) ?? ''))?.[4];
    if (memRoot) assert.equal(readFileSync(`${memRoot}/berth/${id}/memory.limit_in_bytes`, 'utf8').trim(), '33554432');
    await dk(['rm', '-f', id]);
  });

  test("the create response carries dockerd's warnings, which the CLI prints", async () => {
    const r = await dk(['create', '--oom-kill-disable', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARNING: OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources\./);
    const res = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { Memory: 1 << 25, OomKillDisable: true } }), { 'content-type': 'application/json' });
    assert.equal(res.status, 201, res.body);
    assert.deepEqual((JSON.parse(res.body) as { Warnings: string[] }).Warnings, []);
  });

  test("Config is dockerd's merge with the image: the body's Env first, --entrypoint \"\" clears the image's command", async () => {
    // Over the API: the docker CLI passes -e through a Go map (its proxy-config merge), so the order it sends is not
    // the command line's.
    const res = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', Env: ['FOO=bar', 'PATH=/bin'] }), { 'content-type': 'application/json' });
    assert.equal(res.status, 201, res.body);
    const id = (JSON.parse(res.body) as { Id: string }).Id;
    const cfg = JSON.parse((await dk(['inspect', '-f', '{{json .Config}}', id])).stdout) as { Env: string[]; Cmd: string[]; Entrypoint: null; Labels: object };
    assert.deepEqual(cfg.Env, ['FOO=bar', 'PATH=/bin']);
    assert.deepEqual([cfg.Cmd, cfg.Entrypoint, cfg.Labels], [['sh'], null, {}]);
    const cleared = await dk(['create', '--entrypoint', '', 'busybox']);
    assert.notEqual(cleared.code, 0);
    assert.match(cleared.stderr, /No command specified/);
  });

  test('--privileged runs with the bounding set the daemon has, --ulimit above the hard limit is capped', async () => {
    const priv = await dk(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'grep CapBnd /proc/self/status']);
    assert.equal(priv.code, 0, priv.stderr);
    const own = /CapBnd:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    assert.match(priv.stdout, new RegExp(`CapBnd:\\s*${own}`));
    const ul = await dk(['run', '--rm', '--ulimit', 'nofile=1024:1024', 'busybox', 'sh', '-c', 'ulimit -n']);
    assert.equal(ul.code, 0, ul.stderr);
    assert.equal(ul.stdout.trim(), '1024');
    const hard = Number(/Max open files\s+\S+\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
    const over = await dk(['run', '--rm', '--ulimit', `nofile=${hard + 1000}:${hard + 1000}`, 'busybox', 'sh', '-c', 'ulimit -Hn']);
    assert.equal(over.code, 0, over.stderr);
    assert.ok(Number(over.stdout.trim()) <= hard, `hard nofile ${over.stdout} at most the daemon's ${hard}`);
  });

  test("--network host takes the host's hostname; the default network the short ID", async () => {
    const host = await dk(['run', '--rm', '--network', 'host', 'busybox', 'hostname']);
    assert.equal(host.code, 0, host.stderr);
    assert.equal(host.stdout.trim(), os.hostname());
    const id = (await dk(['create', '--network', 'host', 'busybox', 'true'])).stdout.trim();
    assert.equal((await dk(['inspect', '-f', '{{.Config.Hostname}}', id])).stdout.trim(), os.hostname());
    const own = (await dk(['create', 'busybox', 'true'])).stdout.trim();
    assert.equal((await dk(['inspect', '-f', '{{.Config.Hostname}}', own])).stdout.trim(), own.slice(0, 12));
  });
});
