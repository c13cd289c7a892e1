// The container paths with streams and live resources: detach keys through a real terminal
// (`docker run -it` under script(1)), attach with logs=1, update (read back from the cgroup),
// streaming stats, container prune, port without ports.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();

/** The host directory of a v1 controller's hierarchy, or of the cgroup2 mount. */
function cgroupRoot(controller: string): { path: string; v2: boolean } | undefined {
  const rows = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' '));
  const v1 = rows.find((f) => f.at(-3) === 'cgroup' && (f.at(-1) ?? '').split(',').includes(controller));
  if (v1) return { path: v1[4]!, v2: false };
  const v2 = rows.find((f) => f.at(-3) === 'cgroup2');
  return v2 ? { path: v2[4]!, v2: true } : undefined;
}

/** Payloads of a multiplexed (stdcopy) stream by stream number. */
function demux(buf: Buffer): { stdout: string; stderr: string } {
  let stdout = ''; let stderr = '';
  for (let i = 0; i + 8 <= buf.length;) {
    const n = buf.readUInt32BE(i + 4);
    const text = buf.subarray(i + 8, i + 8 + n).toString();
    if (buf[i] === 2) stderr += text; else stdout += text;
    i += 8 + n;
  }
  return { stdout, stderr };
}

describe('container streams and live resources', { skip }, () => {
  let d: TestDaemon;
  const dk = (args: string[]) => d.docker(args, { timeoutMs: 60_000 });
  const ok = async (args: string[]) => {
    const r = await dk(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n${d.logs().slice(-1500)}`);
    return r.stdout;
  };
  const raw = (method: string, path: string) => new Promise<Buffer>((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method, path, headers: { host: 'api.moby.localhost' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });

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

  test('ctrl-p ctrl-q in docker run -it detaches; the container keeps running', async () => {
    const child = spawn('script', ['-qec', 'docker run -it --name detach-me busybox sh', '/dev/null'], {
      env: { ...process.env, DOCKER_HOST: d.host, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitUntil('the shell prompt', () => out.includes('/ # '), 20_000).catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(out)}`); });
      child.stdin.write('echo al""ive\r');
      await waitUntil('the echo', () => out.includes('alive'), 10_000);
      child.stdin.write('\x10\x11');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still attached'), 10_000))]);
      assert.equal(code, 0, `docker run -it after ctrl-p ctrl-q: ${code}\n${out}`);
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal((await ok(['inspect', '-f', '{{.State.Running}}', 'detach-me'])).trim(), 'true');
    assert.equal(await ok(['exec', 'detach-me', 'echo', 'still here']), 'still here\n');
    await ok(['rm', '-f', 'detach-me']);
  });

  test('the daemon detaches an attach that types its detach keys (tty), the container keeps running', async () => {
    const id = (await ok(['run', '-dit', 'busybox', 'sh'])).trim();
    const sock = net.createConnection({ path: d.socket });
    let got = '';
    sock.on('data', (b: Buffer) => { got += b.toString('latin1'); });
    const ended = new Promise<void>((r) => { sock.once('end', () => r()); sock.once('close', () => r()); });
    sock.write(`POST /containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1&detachKeys=ctrl-x,x HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
    await waitUntil('101', () => got.includes('101 UPGRADED'));
    sock.write('echo o""k\r');
    await waitUntil('the echo through the attach', () => got.includes('ok\r\n'));
    sock.write('\x18x');
    const how = await Promise.race([ended.then(() => 'ended'), new Promise<string>((r) => setTimeout(() => r('still open'), 5000))]);
    sock.destroy();
    assert.equal(how, 'ended', 'the daemon closes the connection at the detach keys');
    assert.equal((await ok(['inspect', '-f', '{{.State.Running}}', id])).trim(), 'true');
    await ok(['rm', '-f', id]);
  });

  test('a tty container starts at the ConsoleSize the client sent at create, before any resize', async () => {
    const body = JSON.stringify({ Image: 'busybox', Cmd: ['stty', 'size'], Tty: true, HostConfig: { ConsoleSize: [30, 100], NetworkMode: 'none' } });
    const created = await d.request('POST', '/v1.47/containers/create', body, { 'content-type': 'application/json' });
    assert.equal(created.status, 201, created.body);
    const { Id: id } = JSON.parse(created.body) as { Id: string };
    assert.equal((await d.request('POST', `/v1.47/containers/${id}/start`)).status, 204);
    assert.equal(JSON.parse((await d.request('POST', `/v1.47/containers/${id}/wait`)).body).StatusCode, 0);
    assert.equal((await ok(['logs', id])).trim(), '30 100');
    await ok(['rm', id]);
  });

  test('attach with logs=1 replays the output so far, stream=0 then ends', async () => {
    const id = (await ok(['run', '-d', 'busybox', 'sh', '-c', 'echo one; echo two >&2; sleep 300'])).trim();
    await waitUntil('the logs', async () => (await dk(['logs', id])).stdout === 'one\n');
    const both = demux(await raw('POST', `/containers/${id}/attach?logs=1&stream=0&stdout=1&stderr=1`));
    assert.deepEqual(both, { stdout: 'one\n', stderr: 'two\n' });
    const onlyErr = demux(await raw('POST', `/containers/${id}/attach?logs=1&stream=0&stderr=1`));
    assert.deepEqual(onlyErr, { stdout: '', stderr: 'two\n' });
    await ok(['rm', '-f', id]);
  });

  test('update changes the memory limit of a running container (read back from its cgroup)', async () => {
    const id = (await ok(['run', '-d', '--memory', '32m', 'busybox', 'sleep', '300'])).trim();
    await ok(['update', '--memory', '48m', '--memory-swap', '96m', id]);
    assert.equal((await ok(['inspect', '-f', '{{.HostConfig.Memory}}', id])).trim(), String(48 * 1024 * 1024));
    const root = cgroupRoot('memory');
    if (root) {
      const file = root.v2 ? `${root.path}/berth/${id}/memory.max` : `${root.path}/berth/${id}/memory.limit_in_bytes`;
      assert.equal(readFileSync(file, 'utf8').trim(), String(48 * 1024 * 1024));
    }
    const bad = await dk(['update', '--memory', '1m', id]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Minimum memory limit allowed is 6MB/);
    await ok(['rm', '-f', id]);
  });

  test('stats streams frames, one a second, until the client goes', async () => {
    const id = (await ok(['run', '-d', 'busybox', 'sleep', '300'])).trim();
    const frames = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
      const got: Record<string, unknown>[] = [];
      const req = http.request({ socketPath: d.socket, method: 'GET', path: `/containers/${id}/stats`, headers: { host: 'api.moby.localhost' } }, (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i); buf = buf.slice(i + 1);
            if (line.trim()) got.push(JSON.parse(line) as Record<string, unknown>);
            if (got.length === 2) { req.destroy(); resolve(got); }
          }
        });
        res.on('error', () => {});
      });
      req.on('error', (e) => { if (got.length < 2) reject(e); });
      setTimeout(() => reject(new Error(`only ${got.length} stats frames in 10 s`)), 10_000).unref();
      req.end();
    });
    assert.equal(frames.length, 2);
    assert.equal(frames[1]!.id, id);
    assert.ok(Date.parse(String(frames[1]!.read)) > Date.parse(String(frames[0]!.read)), 'the second frame is later');
    assert.deepEqual(frames[1]!.precpu_stats, frames[0]!.cpu_stats, "each frame's precpu is the previous frame's cpu");
    assert.equal((await ok(['inspect', '-f', '{{.State.Running}}', id])).trim(), 'true');
    await ok(['rm', '-f', id]);
  });

  test('container prune removes the stopped ones only', async () => {
    const running = (await ok(['run', '-d', 'busybox', 'sleep', '300'])).trim();
    await ok(['create', '--name', 'never-started', 'busybox', 'true']);
    const exited = (await ok(['run', '-d', 'busybox', 'true'])).trim();
    await waitUntil('the exit', async () => (await ok(['inspect', '-f', '{{.State.Status}}', exited])).trim() === 'exited');
    const out = await ok(['container', 'prune', '-f']);
    assert.match(out, /^Deleted Containers:\n/);
    assert.ok(out.includes(exited), out);
    assert.match(out, /Total reclaimed space: /);
    const left = (await ok(['ps', '-aq', '--no-trunc'])).trim().split('\n');
    assert.ok(left.includes(running), 'the running one stays');
    assert.ok(!left.includes(exited), 'the exited one went');
    assert.equal((await dk(['inspect', 'never-started'])).code, 1, 'the created one went');
    await ok(['rm', '-f', running]);
  });

  test('port on a container without ports prints nothing; a port it does not publish is an error', async () => {
    const id = (await ok(['run', '-d', 'busybox', 'sleep', '300'])).trim();
    assert.equal(await ok(['port', id]), '');
    const one = await dk(['port', id, '80/tcp']);
    assert.equal(one.code, 1);
    assert.match(one.stderr, /Error: No public port '80\/tcp' published for /);
    await ok(['rm', '-f', id]);
  });
});
