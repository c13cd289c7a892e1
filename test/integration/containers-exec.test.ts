// Exec exit codes under pressure: the docker CLI reads an exec's exit code from GET /exec/{id}/json
// right after the stream ends, and a code not recorded yet reads as 0. Sequential and parallel
// execs, with and without output, must each report their own code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();

describe('exec exit codes', { skip }, () => {
  let d: TestDaemon;
  const dk = (args: string[], input?: string) => d.docker(args, { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });

  before(async () => {
    d = await startContainerDaemon();
    await waitUntil('the built-in busybox', async () => (await dk(['image', 'inspect', 'busybox'])).code === 0, 30_000);
    assert.equal((await dk(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '300'])).code, 0);
  });

  after(async () => {
    if (!d) return;
    await dk(['rm', '-f', 'ex']);
    await d.cleanup();
  });

  test('sequential execs: quiet, with output on either stream, with stdin', async () => {
    const scripts = ['exit 5', 'echo out; exit 5', 'echo err >&2; exit 5', 'echo a; echo b >&2; sleep 0.05; exit 5'];
    const wrong: string[] = [];
    for (let i = 0; i < 24; i++) {
      const s = scripts[i % scripts.length]!;
      const r = i % 6 === 5 ? await dk(['exec', '-i', 'ex', 'sh', '-c', `cat >/dev/null; ${s}`], 'in\n') : await dk(['exec', 'ex', 'sh', '-c', s]);
      if (r.code !== 5) wrong.push(`${s}: ${r.code} ${r.stderr}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('parallel execs each get their own code', async () => {
    const codes = await Promise.all(Array.from({ length: 8 }, (_, i) => dk(['exec', 'ex', 'sh', '-c', `echo ${i}; exit ${i + 1}`]).then((r) => r.code)));
    assert.deepEqual(codes, Array.from({ length: 8 }, (_, i) => i + 1));
  });

  test("an exec's environment is dockerd's: the container's PATH and HOSTNAME, TERM only with -t, then -e", async () => {
    const env = async (args: string[]) => (await dk(['exec', ...args, 'ex', 'env'])).stdout.replace(/\r/g, '').split('\n').filter(Boolean).sort();
    const id = (await dk(['inspect', '-f', '{{.Config.Hostname}}', 'ex'])).stdout.trim();
    const plain = await env([]);
    assert.ok(plain.includes(`HOSTNAME=${id}`), plain.join(' '));
    assert.ok(plain.some((e) => e.startsWith('PATH=/')), plain.join(' '));
    assert.ok(!plain.some((e) => e.startsWith('TERM=')), plain.join(' '));
    assert.ok((await env(['-t'])).includes('TERM=xterm'));
    const set = await env(['-e', 'HOSTNAME=mine', '-e', 'EXTRA=1']);
    assert.ok(set.includes('HOSTNAME=mine') && set.includes('EXTRA=1') && !set.includes(`HOSTNAME=${id}`), set.join(' '));
  });

  test('a detached exec is inspectable: running, then its code', async () => {
    const created = await d.request('POST', '/containers/ex/exec', JSON.stringify({ Cmd: ['sh', '-c', 'sleep 0.3; exit 7'] }), { 'content-type': 'application/json' });
    assert.equal(created.status, 201, created.body);
    const id = (JSON.parse(created.body) as { Id: string }).Id;
    const started = await d.request('POST', `/exec/${id}/start`, JSON.stringify({ Detach: true }), { 'content-type': 'application/json' });
    assert.equal(started.status, 200, started.body);
    const running = JSON.parse((await d.request('GET', `/exec/${id}/json`)).body) as { Running: boolean; ExitCode: number | null };
    assert.deepEqual([running.Running, running.ExitCode], [true, null]);
    await waitUntil('the exec ends', async () => (JSON.parse((await d.request('GET', `/exec/${id}/json`)).body) as { Running: boolean }).Running === false);
    assert.equal((JSON.parse((await d.request('GET', `/exec/${id}/json`)).body) as { ExitCode: number }).ExitCode, 7);
  });
});
