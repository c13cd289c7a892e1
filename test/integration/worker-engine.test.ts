// The browser host's engine in a real worker (Node's worker_threads, the same comlink transport the
// page uses), driven by core's CLI: built-in images with no network, push and pull against a
// registry on loopback, inspect, events streaming live, a WebAssembly container, and Linux
// containers in the v86 guest (v86 under Node, as the browser runs it in the worker).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { connectEngine, type EngineConnection } from '../../host-browser/worker/client.ts';
import { runCaptured } from '../../host-browser/worker/captured-cli.ts';
import { serveRegistry, type Served } from '../../host-linux/registry/serve.ts';
import { serveDirectory, type StaticServer } from '../helpers/browser.ts';
import { REPO_ROOT } from '../helpers/registry.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

const IMAGES = join(REPO_ROOT, 'build/images');
const GUEST = join(REPO_ROOT, 'build/guest');
const skip = existsSync(join(IMAGES, 'index.json')) ? false : 'no built-in images (node --import tsx host-linux/builtin/make-images.ts --out build/images)';
const noGuest = ['bios.bin', 'vgabios.bin', 'vmlinuz', 'initrd.gz'].some((f) => !existsSync(join(GUEST, f)))
  ? `the v86 guest is not built in ${GUEST} (bash host-browser/guest/build.sh)` : false;

describe('engine worker (worker_threads)', { skip }, () => {
  let images: StaticServer;
  let registry: Served;
  let registryRoot: string;
  let worker: Worker;
  let conn: EngineConnection;
  const berth = (...argv: string[]) => runCaptured(conn, argv);

  before(async () => {
    images = await serveDirectory(IMAGES, { '/guest/': GUEST, '/v86/': join(REPO_ROOT, 'node_modules/v86/build') });
    registryRoot = await tempDir('berth-worker-registry-');
    registry = await serveRegistry({ addr: '127.0.0.1:0', root: registryRoot });
    // a worker's entry is loaded before --import hooks apply there: register tsx first
    const entry = join(REPO_ROOT, 'host-browser/worker/node-entry.ts');
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    const guest = noGuest ? {} : { guest: { guest: `${images.url}/guest/`, wasm: `${images.url}/v86/v86.wasm` } };
    worker = new Worker(boot, { eval: true, workerData: { builtinImages: `${images.url}/`, ...guest } });
    conn = connectEngine(nodeEndpoint(worker));
  });

  after(async () => {
    await worker?.terminate();
    await registry?.close();
    await images?.close();
    await removeDir(registryRoot);
  });

  it('lists the built-in images, imported from static files at first start', async () => {
    const r = await berth('images', '--format', '{{.Repository}}:{{.Tag}}');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['busybox:latest', 'hello-wasm:latest', 'hello-world:latest']);
    // the guest is 32-bit x86: the linux images are the 386 ones; hello-wasm has only wasi/wasm
    const p = await berth('image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', 'busybox', 'hello-wasm');
    assert.equal(p.exitCode, 0, p.stderr);
    assert.deepEqual(p.stdout.trim().split('\n'), ['linux/386', 'wasi/wasm']);
  });

  it('answers version and info as a daemon does', async () => {
    const v = await berth('version', '--format', '{{.Server.Version}} {{.Server.Os}}/{{.Server.Arch}}');
    assert.equal(v.exitCode, 0, v.stderr);
    assert.equal(v.stdout.trim(), '0.1.0 linux/386');
    const i = await berth('info', '--format', '{{.Images}}');
    assert.equal(i.stdout.trim(), '3');
  });

  it('pushes to and pulls from a registry on loopback', async () => {
    const name = `${registry.url.replace('http://', '')}/demo/busybox:v1`;
    assert.equal((await berth('tag', 'busybox', name)).exitCode, 0);
    const push = await berth('push', name);
    assert.equal(push.exitCode, 0, push.stderr);
    assert.match(push.stdout, /v1: digest: sha256:[0-9a-f]{64} size: \d+/);
    const rmi = await berth('rmi', name);
    assert.equal(rmi.exitCode, 0, rmi.stderr);
    assert.match(rmi.stdout, new RegExp(`Untagged: ${name}`));

    const pull = await berth('pull', name);
    assert.equal(pull.exitCode, 0, pull.stderr);
    assert.match(pull.stdout, /Status: Downloaded newer image for /);
    const inspect = await berth('image', 'inspect', '--format', '{{json .RepoDigests}}', name);
    assert.equal(inspect.exitCode, 0, inspect.stderr);
    assert.match(inspect.stdout, /demo\/busybox@sha256:[0-9a-f]{64}/);
  });

  it('a pull of an unknown image fails with the registry\'s reason, and the engine goes on', async () => {
    const name = `${registry.url.replace('http://', '')}/demo/missing:v1`;
    const r = await berth('pull', name);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /manifest unknown|not found/);
    assert.equal((await berth('images', '-q')).exitCode, 0);
  });

  it('streams events live while the command runs', async () => {
    let seen: () => void;
    const tagged = new Promise<void>((r) => { seen = r; });
    let live = '';
    // --until ends the stream in the worker; the tag event must show before then, as it happens
    const until = String(Math.floor(Date.now() / 1000) + 4);
    const events = runCaptured(conn, ['events', '--filter', 'type=image', '--filter', 'event=tag', '--until', until], {
      onStdout: (s) => { live += s; if (live.includes('demo/live:1')) seen(); },
    });
    // events subscribe asynchronously: keep tagging until the stream shows one
    for (let i = 0; ; i++) {
      assert.equal((await berth('tag', 'busybox', 'demo/live:1')).exitCode, 0);
      const done = await Promise.race([tagged.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
      if (done) break;
      assert.ok(i < 100, `no tag event arrived; events printed: ${live}`);
    }
    assert.match(live, /image tag sha256:[0-9a-f]{64} \(name=demo\/live:1\)/);
    // cancelling the stream on this side ends the route in the worker: no listener is left
    const ac = new AbortController();
    const res = await conn.fetch('http://api.moby.localhost/v1.47/events', { signal: ac.signal });
    assert.equal(res.status, 200);
    const listeners = async () => ((await (await conn.fetch('http://api.moby.localhost/v1.47/info')).json()) as { NEventsListener: number }).NEventsListener;
    assert.ok(await listeners() >= 2);
    ac.abort();
    await res.body?.cancel().catch(() => {});
    for (let i = 0; (await listeners()) > 1; i++) {
      assert.ok(i < 200, 'the aborted events stream is still subscribed in the worker');
      await new Promise((r) => setTimeout(r, 25));
    }
    const ended = await events;
    assert.equal(ended.exitCode, 0, ended.stderr);
  });

  it('runs a WebAssembly container in the WASI runtime, with its arguments and exit code', async () => {
    const r = await berth('run', '--rm', 'hello-wasm', 'one', 'two');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /Hello from WebAssembly!/);
    assert.match(r.stdout, /one two\n$/);
    assert.equal((await berth('ps', '-a', '-q')).stdout, '', '--rm removed it');
  });

  it('runs Linux containers in the v86 guest booted by the worker, through the Engine API', { skip: noGuest, timeout: 300_000 }, async () => {
    const r = await berth('run', '--rm', 'busybox', 'sh', '-c', 'echo hello from $(uname -m); echo oops >&2; exit 4');
    assert.equal(r.exitCode, 4, r.stderr);
    assert.equal(r.stdout, 'hello from i686\n');
    assert.equal(r.stderr, 'oops\n');
    // a container that keeps running: logs, exec-less inspect, stop
    const d = await berth('run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'echo started; sleep 600');
    assert.equal(d.exitCode, 0, d.stderr);
    const ps = await berth('ps', '--format', '{{.Names}} {{.Image}}');
    assert.equal(ps.stdout, 'ticker busybox\n');
    for (let i = 0; (await berth('logs', 'ticker')).stdout !== 'started\n'; i++) {
      assert.ok(i < 200, 'the detached container printed nothing');
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal((await berth('stop', '-t', '1', 'ticker')).exitCode, 0);
    assert.equal((await berth('inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'ticker')).stdout, 'exited 137\n');
    assert.equal((await berth('rm', 'ticker')).exitCode, 0);
  });
});
