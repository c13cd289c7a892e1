// The real Docker daemon (Debian's docker.io, its own data and exec roots under /tmp, no firewall
// or bridge changes) pulling from and pushing to our registry server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveRegistry, type Served } from '../../host-linux/registry/serve.ts';
import { RegistryClient } from '../../core/registry/client.ts';
import { nodeHash } from '../../host-linux/services.ts';
import { parseReference } from '../../core/reference/reference.ts';
import { makeImage, run, type TestImage } from './registry-fixtures.ts';

const DOCKERD = '/usr/sbin/dockerd';
const DOCKER = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : '/usr/bin/docker';

describe('the real Docker daemon against our registry', { skip: !existsSync(DOCKERD) && 'dockerd is not installed' }, () => {
  let dir: string;
  let daemon: ChildProcess;
  let sock: string;
  let served: Served;
  let host: string;
  let img: TestImage;
  const docker = (...args: string[]) => run(DOCKER, ['-H', `unix://${sock}`, ...args]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-dockerd-'));
    sock = join(dir, 'docker.sock');
    // A file, not a pipe: dockerd's containerd inherits it and would hold a pipe (and this test) open.
    const logFd = openSync(join(dir, 'dockerd.log'), 'w');
    daemon = spawn(DOCKERD, [
      '--iptables=false', '--ip-masq=false', '--bridge=none', '--storage-driver=vfs',
      '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'),
      '-H', `unix://${sock}`,
    ], { stdio: ['ignore', 'ignore', logFd] });
    closeSync(logFd);
    served = await serveRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
    host = new URL(served.url).host;
    img = await makeImage([{ 'hello.txt': 'hello from berth\n' }, { 'etc/motd': 'second layer\n' }], { docker: true });
    const c = new RegistryClient({ fetch: globalThis.fetch, hash: nodeHash, scheme: () => 'http' });
    const ref = parseReference(`${host}/demo/hello:v1`);
    for (const b of [...img.layers, img.config]) await c.uploadBlob(ref, { digest: b.digest, size: b.size, data: b.bytes });
    await c.putManifest(ref, img.manifest, img.mediaType);
    const end = Date.now() + 30_000;
    for (;;) {
      if ((await docker('version', '--format', '{{.Server.Version}}')).code === 0) break;
      if (daemon.exitCode !== null || Date.now() > end) {
        throw new Error(`dockerd did not start:\n${readFileSync(join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    await served?.close();
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon.once('exit', r));
      daemon.kill('SIGTERM');
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 15_000); })]);
      clearTimeout(timer);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pulls an image our registry serves', async () => {
    const pull = await docker('pull', `${host}/demo/hello:v1`);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(`Digest: ${img.manifestDigest}`));
    const inspect = await docker('image', 'inspect', '--format', '{{.Id}} {{json .RepoDigests}}', `${host}/demo/hello:v1`);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(inspect.stdout.trim(), `${img.config.digest} ${JSON.stringify([`${host}/demo/hello@${img.manifestDigest}`])}`);
    const missing = await docker('pull', `${host}/demo/hello:nope`);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, new RegExp(`manifest for ${host.replace(/\./g, '\\.')}/demo/hello:nope not found: manifest unknown: manifest unknown`));
  });

  it('takes a push from the daemon, mounting layers from the repository it pulled from', async () => {
    const target = `${host}/pushed/hello:v2`;
    assert.equal((await docker('tag', `${host}/demo/hello:v1`, target)).code, 0);
    const push = await docker('push', target);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stdout, /Mounted from demo\/hello/);
    assert.match(push.stdout, /v2: digest: sha256:[0-9a-f]{64} size: \d+/);
    const c = new RegistryClient({ fetch: globalThis.fetch, hash: nodeHash, scheme: () => 'http' });
    const m = await c.getManifest(parseReference(target));
    const manifest = JSON.parse(new TextDecoder().decode(m.bytes)) as { config: { digest: string }; layers: { digest: string }[] };
    assert.equal(manifest.config.digest, img.config.digest);
    assert.deepEqual(manifest.layers.map((l) => l.digest), img.layers.map((l) => l.digest));
  });
});
