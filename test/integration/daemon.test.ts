// berthd as a process: flags, pidfile, socket, shutdown, API versions and _ping, built-in images
// with Docker Hub unreachable, and a few checks through dockerode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { berthdCommand, startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { runCommand } from '../helpers/docker-cli.ts';
import { REPO_ROOT } from '../helpers/registry.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushTestImage } from '../helpers/test-image.ts';

const BUILTIN = join(REPO_ROOT, 'build/images');
const haveBuiltin = existsSync(join(BUILTIN, 'index.json'));

function berthd(args: string[]) {
  const [cmd, ...pre] = berthdCommand();
  return runCommand(cmd!, [...pre, ...args], { env: { PATH: process.env.PATH ?? '' }, timeoutMs: 20_000 });
}

describe('berthd command line', () => {
  test('unknown flags are refused in dockerd\'s words, exit 1', async () => {
    const r = await berthd(['--bogus']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "unknown flag: --bogus\nSee 'berthd --help'.\n");
    const s = await berthd(['-Z']);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /^unknown shorthand flag: 'Z' in -Z/);
    const missing = await berthd(['--data-root']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /flag needs an argument: --data-root/);
  });

  test('--version and --help', async () => {
    const v = await berthd(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^berthd version \d+\.\d+\.\d+/);
    const h = await berthd(['-h']);
    assert.equal(h.code, 0);
    for (const flag of ['--host', '--data-root', '--exec-root', '--pidfile', '--config-file', '--insecure-registry', '--registry-mirror', '--builtin-images']) {
      assert.ok(h.stdout.includes(flag), `help lists ${flag}`);
    }
  });

  test('a bad daemon.json is refused before anything starts', async () => {
    const dir = await tempDir();
    try {
      const cfg = join(dir, 'daemon.json');
      await import('node:fs/promises').then((fs) => fs.writeFile(cfg, '{"no-such-option": 1}'));
      const r = await berthd(['--config-file', cfg, '--data-root', join(dir, 'data'), '--pidfile', join(dir, 'pid'), '-H', `unix://${dir}/s.sock`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the following directives don't match any configuration option: no-such-option/);
      assert.ok(!existsSync(join(dir, 's.sock')));
    } finally {
      await removeDir(dir);
    }
  });
});

describe('berthd serving', () => {
  let daemon: TestDaemon;
  before(async () => { daemon = await startBerthd(); });
  after(async () => { await daemon?.cleanup(); });

  test('the socket is mode 0660 and the pidfile holds the pid', async () => {
    assert.equal(statSync(daemon.socket).mode & 0o777, 0o660);
    const { readFile } = await import('node:fs/promises');
    assert.equal((await readFile(daemon.pidfile, 'utf8')).trim(), String(daemon.process.pid));
  });

  test('a second berthd on the same pidfile refuses to start', async () => {
    const r = await berthd(['-H', `unix://${daemon.dir}/other.sock`, '--data-root', join(daemon.dir, 'data2'), '--pidfile', daemon.pidfile, '--config-file', join(daemon.dir, 'daemon.json')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`pid file found, ensure berthd is not running or delete ${daemon.pidfile.replace(/[.]/g, '\\.')}`));
  });

  test('HEAD and GET /_ping answer with dockerd\'s headers', async () => {
    for (const method of ['HEAD', 'GET']) {
      const r = await daemon.request(method, '/_ping');
      assert.equal(r.status, 200);
      assert.equal(r.headers['api-version'], '1.47');
      assert.equal(r.headers['ostype'], 'linux');
      assert.equal(r.headers['docker-experimental'], 'false');
      assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
      assert.equal(r.headers['pragma'], 'no-cache');
      assert.match(String(r.headers['server']), /^berth\//);
      assert.equal(r.body, method === 'GET' ? 'OK' : '');
    }
  });

  test('API versions: prefixes 1.24..1.47 and unversioned paths work, others get dockerd\'s 400', async () => {
    for (const path of ['/v1.24/version', '/v1.41/version', '/v1.47/version', '/version']) {
      const r = await daemon.request('GET', path);
      assert.equal(r.status, 200, path);
      assert.equal(JSON.parse(r.body).ApiVersion, '1.47');
    }
    const old = await daemon.request('GET', '/v1.12/version');
    assert.equal(old.status, 400);
    assert.equal(old.body.trim(), 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version');
    const high = await daemon.request('GET', '/v1.99/version');
    assert.equal(high.status, 400);
    assert.deepEqual(JSON.parse(high.body), { message: 'client version 1.99 is too new. Maximum supported API version is 1.47' });
    const none = await daemon.request('GET', '/v1.47/nothing/here');
    assert.equal(none.status, 404);
    assert.deepEqual(JSON.parse(none.body), { message: 'page not found' });
  });

  test('dockerode: ping, version, images, inspect errors, events', async () => {
    const d = new Docker({ socketPath: daemon.socket });
    assert.equal(String(await d.ping()), 'OK');
    assert.equal((await d.version()).ApiVersion, '1.47');
    assert.deepEqual(await d.listImages(), []);
    await assert.rejects(d.getImage('nosuch:tag').inspect(), (e: { statusCode?: number; message: string }) => e.statusCode === 404 && /No such image: nosuch:tag/.test(e.message));
    const info = await d.info();
    assert.equal(info.Images, 0);
    assert.equal(info.DockerRootDir, daemon.dataRoot);
  });

  test('SIGTERM shuts down cleanly: exit 0, socket and pidfile removed', async () => {
    const code = await daemon.stop();
    assert.equal(code, 0, daemon.logs());
    assert.ok(!existsSync(daemon.socket));
    assert.ok(!existsSync(daemon.pidfile));
    assert.match(daemon.logs(), /level=info msg="Processing signal 'terminated'"/);
  });
});

describe('built-in images with Docker Hub unreachable', { skip: !haveBuiltin && 'build/images is missing (run scripts/setup.sh)' }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startBerthd({ builtinImages: BUILTIN, env: { BERTH_BLOCK_HOSTS: 'registry-1.docker.io,auth.docker.io,index.docker.io' } });
  });
  after(async () => { await daemon?.cleanup(); });

  test('start-up imports the built-in images', async () => {
    const deadline = Date.now() + 15_000;
    let out = '';
    while (Date.now() < deadline) {
      out = (await daemon.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout;
      if (out.includes('hello-wasm')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(out.trim().split('\n').sort(), ['busybox:latest', 'hello-wasm:latest', 'hello-world:latest']);
    const arch = await daemon.docker(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', 'busybox']);
    assert.equal(arch.stdout.trim(), 'linux/amd64');
  });

  test('docker pull busybox falls back to the built-in image and says so', async () => {
    assert.equal((await daemon.docker(['rmi', 'busybox'])).code, 0);
    const r = await daemon.docker(['pull', 'busybox']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Docker Hub is unreachable; using berth's built-in busybox:latest/);
    assert.match(r.stdout, /Status: Downloaded newer image for busybox:latest/);
    assert.equal(r.stdout.trim().split('\n').pop(), 'docker.io/library/busybox:latest');
    const i386 = await daemon.docker(['pull', '--platform', 'linux/386', 'busybox']);
    assert.equal(i386.code, 0, i386.stderr);
    const arch = await daemon.docker(['image', 'inspect', '--format', '{{.Architecture}}', 'busybox']);
    assert.equal(arch.stdout.trim(), '386');
  });

  test('other Docker Hub names fail fast with a clear message', async () => {
    const t0 = Date.now();
    const r = await daemon.docker(['pull', 'alpine']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Docker Hub is unreachable .*alpine:latest is not one of berth's built-in images/);
    assert.ok(Date.now() - t0 < 10_000);
  });
});

describe('registry mirrors and insecure registries', () => {
  let daemon: TestDaemon;
  let mirror: TestRegistry;
  before(async () => {
    mirror = await startRegistry();
    daemon = await startBerthd({
      args: ['--registry-mirror', mirror.url, '--insecure-registry', '10.0.0.0/8', '--insecure-registry', 'myreg.example:5000', '--log-level', 'debug'],
      env: { BERTH_BLOCK_HOSTS: 'registry-1.docker.io,auth.docker.io,index.docker.io' },
    });
  });
  after(async () => { await daemon?.cleanup(); await mirror?.stop(); });

  test('docker info lists the mirror and the insecure registries', async () => {
    const r = await daemon.docker(['info']);
    assert.equal(r.code, 0, r.stderr);
    const section = (title: string) => {
      const lines = r.stdout.split(`${title}:\n`)[1]?.split('\n') ?? [];
      const end = lines.findIndex((l) => !l.startsWith('  '));
      return lines.slice(0, end < 0 ? lines.length : end).map((l) => l.trim());
    };
    assert.deepEqual(section('Insecure Registries').sort(), ['10.0.0.0/8', '127.0.0.0/8', '::1/128', 'myreg.example:5000'].sort());
    assert.deepEqual(section('Registry Mirrors'), [`${mirror.url}/`]);
    assert.match(daemon.logs(), /level=debug msg="Calling GET \/v1\.47\/info"/);
  });

  test('Docker Hub names are pulled from the mirror', async () => {
    const img = await buildTestImage({ layers: [{ files: { 'mirrored.txt': 'from the mirror' } }] });
    await pushTestImage(mirror.url, 'library/mirrored', 'latest', img);
    const r = await daemon.docker(['pull', 'mirrored']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^latest: Pulling from library\/mirrored$/m);
    assert.match(r.stdout, /Status: Downloaded newer image for mirrored:latest/);
    const id = await daemon.docker(['image', 'inspect', '--format', '{{.Id}} {{index .RepoDigests 0}}', 'mirrored']);
    assert.equal(id.stdout.trim(), `${img.configDigest} mirrored@${img.digest}`);
    const missing = await daemon.docker(['pull', 'notmirrored']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Docker Hub is unreachable/);
  });
});

describe('the bundle', { skip: !existsSync(join(REPO_ROOT, 'dist/berthd.mjs')) && 'dist/berthd.mjs is not built (npm run build)' }, () => {
  test('dist/berthd.mjs starts, answers and stops', async () => {
    const d = await startBerthd({ bundle: true });
    try {
      const r = await d.docker(['version', '--format', '{{.Server.Version}}']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
      assert.equal(await d.stop(), 0);
    } finally {
      await d.cleanup();
    }
  });
});
