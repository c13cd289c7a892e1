// The real docker CLI against berthd: push to a local registry, save -> load round trips, events.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { DOCKER_CLI } from '../helpers/docker-cli.ts';
import { buildTestImage, pushTestImage, type BuiltImage } from '../helpers/test-image.ts';

let daemon: TestDaemon;
let registry: TestRegistry;
let app: BuiltImage;

before(async () => {
  [daemon, registry] = await Promise.all([startBerthd(), startRegistry()]);
  app = await buildTestImage({
    layers: [{ files: { 'a.txt': 'a'.repeat(50_000) } }, { files: { 'b.txt': 'b' } }, { files: { 'c/': '', 'c/d.txt': 'd' } }],
  });
  await pushTestImage(registry.url, 'demo/app', '1.0', app);
  const r = await daemon.docker(['pull', `${registry.host}/demo/app:1.0`]);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  if (process.env.BERTH_TEST_LOGS) process.stderr.write(daemon?.logs() ?? "");
  await Promise.all([daemon?.cleanup(), registry?.stop()]);
});

describe('docker CLI against berthd: push, save, load, events', () => {
  test('push to a second repository mounts layers; pushing again finds them', async () => {
    const target = `${registry.host}/other/app:2.0`;
    assert.equal((await daemon.docker(['tag', `${registry.host}/demo/app:1.0`, target])).code, 0);
    const r = await daemon.docker(['push', target]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`The push refers to repository \\[${registry.host.replace(/\./g, '\\.')}/other/app\\]`));
    assert.match(r.stdout, /Mounted from demo\/app|Pushed/);
    assert.match(r.stdout, new RegExp(`2\\.0: digest: ${app.digest} size: ${app.manifest.byteLength}`));
    // The registry now serves exactly the manifest we pulled.
    const m = await fetch(`${registry.url}/v2/other/app/manifests/2.0`, { headers: { accept: app.mediaType } });
    assert.equal(m.status, 200);
    assert.equal(m.headers.get('docker-content-digest'), app.digest);

    const again = await daemon.docker(['push', target]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((again.stdout.match(/Layer already exists/g) ?? []).length, app.layers.length);

    const inspect = await daemon.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', target]);
    assert.ok((JSON.parse(inspect.stdout) as string[]).includes(`${registry.host}/other/app@${app.digest}`), inspect.stdout);
  });

  test('push of a tag that does not exist locally fails with dockerd\'s message', async () => {
    const r = await daemon.docker(['push', `${registry.host}/nothing/here:1`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /An image does not exist locally with the tag: 127\.0\.0\.1:\d+\/nothing\/here/);
  });

  test('save -> rmi -> load restores the image with the same ID and tag', async () => {
    const file = join(daemon.dir, 'app.tar');
    const name = `${registry.host}/demo/app:1.0`;
    const s = await daemon.docker(['save', '-o', file, name]);
    assert.equal(s.code, 0, s.stderr);
    const tar = await readFile(file);
    assert.ok(tar.byteLength > 50_000);
    assert.ok(tar.includes('manifest.json') && tar.includes('index.json'));

    const rm = await daemon.docker(['rmi', '-f', app.configDigest]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /Deleted: sha256:/);
    assert.equal((await daemon.docker(['image', 'inspect', name])).code, 1);

    const l = await daemon.docker(['load', '-i', file]);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(l.stdout.trim(), `Loaded image: ${name}`);
    const id = await daemon.docker(['image', 'inspect', '--format', '{{.Id}} {{len .RootFS.Layers}}', name]);
    assert.equal(id.stdout.trim(), `${app.configDigest} 3`);

    // Loading from stdin, and an archive that is not one.
    const again = await daemon.docker(['load'], { input: tar });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Loaded image: /);
    const bad = await daemon.docker(['load'], { input: 'this is not a tar archive at all'.repeat(100) });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /archive|tar/i);
  });

  test('events: pull, tag, untag and delete arrive live, with filters', async () => {
    const events = spawn(DOCKER_CLI, ['events', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}', '--filter', 'type=image'], {
      env: { PATH: process.env.PATH ?? '', DOCKER_HOST: daemon.host, DOCKER_CONFIG: join(daemon.dir, 'cfg') },
    });
    let out = '';
    events.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const pulled = `${registry.host}/demo/app:1.0`;
      assert.equal((await daemon.docker(['pull', pulled])).code, 0);
      assert.equal((await daemon.docker(['tag', pulled, 'evt:1'])).code, 0);
      assert.equal((await daemon.docker(['rmi', 'evt:1'])).code, 0);
      const deadline = Date.now() + 5000;
      while (!out.includes('untag') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const lines = out.trim().split('\n');
      assert.ok(lines.includes(`image pull ${pulled}`), out);
      assert.ok(lines.includes(`image tag ${app.configDigest}`), out);
      assert.ok(lines.includes(`image untag ${app.configDigest}`), out);
    } finally {
      events.kill();
    }
    // The same events from the buffer with --since/--until, filtered to one action.
    // --until one second ahead: the daemon holds the stream open until then, so a far future would cost the suite.
    const now = Math.floor(Date.now() / 1000);
    const past = await daemon.docker(['events', '--since', String(now - 60), '--until', String(now + 1), '--filter', 'event=tag', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    assert.equal(past.code, 0, past.stderr);
    assert.ok(past.stdout.trim().split('\n').includes('tag evt:1'), past.stdout);
    assert.ok(!past.stdout.includes('pull'), past.stdout);
  });

  test('events: delete after rmi of the last tag', async () => {
    const before = String(Date.now() / 1000);
    assert.equal((await daemon.docker(['rmi', '-f', app.configDigest])).code, 0);
    const r = await daemon.request('GET', `/v1.47/events?since=${before}&until=${Date.now() / 1000 + 1}&filters=${encodeURIComponent(JSON.stringify({ type: ['image'], event: ['delete'] }))}`);
    assert.equal(r.status, 200);
    const evts = r.body.trim().split('\n').map((l) => JSON.parse(l) as { Action: string; Actor: { ID: string }; timeNano: number });
    assert.deepEqual(evts.map((e) => [e.Action, e.Actor.ID]), [['delete', app.configDigest]]);
  });
});
