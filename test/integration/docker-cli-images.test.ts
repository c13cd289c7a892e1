// The real docker CLI against berthd: image commands end to end with a local registry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushTestImage, pushTestIndex, type BuiltImage } from '../helpers/test-image.ts';

let daemon: TestDaemon;
let registry: TestRegistry;
let app: BuiltImage;
let appV2: BuiltImage;

before(async () => {
  [daemon, registry] = await Promise.all([startBerthd(), startRegistry()]);
  app = await buildTestImage({
    layers: [{ files: { 'etc/': '', 'etc/os-release': 'NAME=test\n' } }, { files: { 'app/': '', 'app/run.sh': 'echo hi\n'.repeat(2000) } }],
    labels: { 'org.example.role': 'app' },
    cmd: ['/app/run.sh'],
  });
  appV2 = await buildTestImage({ layers: [{ files: { 'v2.txt': 'two' } }], format: 'oci', created: '2024-06-01T00:00:00Z' });
  await pushTestImage(registry.url, 'demo/app', 'latest', app);
  await pushTestImage(registry.url, 'demo/app', 'v2', appV2);
});

after(async () => {
  await Promise.all([daemon?.cleanup(), registry?.stop()]);
});

const ref = (path: string) => `${registry.host}/${path}`;

describe('docker CLI against berthd: images', () => {
  test('version and info report berth', async () => {
    const v = await daemon.docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), '1.47 1.24 linux');
    const info = await daemon.docker(['info', '--format', '{{json .}}']);
    assert.equal(info.code, 0, info.stderr);
    const doc = JSON.parse(info.stdout) as Record<string, unknown>;
    assert.equal(doc.DockerRootDir, daemon.dataRoot);
    assert.equal(doc.OSType, 'linux');
    assert.ok((doc.NCPU as number) >= 1);
    assert.ok((doc.MemTotal as number) > 1e6);
    assert.equal(doc.Images, 0);
  });

  test('pull from a local registry prints dockerd\'s stream and stores the image', async () => {
    const r = await daemon.docker(['pull', ref('demo/app')]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'Using default tag: latest');
    assert.equal(lines[1], 'latest: Pulling from demo/app');
    for (const l of app.layers) assert.ok(r.stdout.includes(`${l.digest.slice(7, 19)}: Pull complete`), r.stdout);
    assert.ok(lines.includes(`Digest: ${app.digest}`), r.stdout);
    assert.ok(lines.includes(`Status: Downloaded newer image for ${ref('demo/app:latest')}`), r.stdout);
    assert.equal(lines[lines.length - 1], ref('demo/app:latest'));

    const again = await daemon.docker(['pull', ref('demo/app:latest')]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Already exists/);
    assert.match(again.stdout, new RegExp(`Status: Image is up to date for ${ref('demo/app:latest').replace(/[.]/g, '\\.')}`));
  });

  test('pull of an OCI manifest by tag, and by digest', async () => {
    const r = await daemon.docker(['pull', ref('demo/app:v2')]);
    assert.equal(r.code, 0, r.stderr);
    const byDigest = await daemon.docker(['pull', ref(`demo/app@${appV2.digest}`)]);
    assert.equal(byDigest.code, 0, byDigest.stderr);
    assert.match(byDigest.stdout, new RegExp(`${appV2.digest.slice(7)}: Pulling from demo/app`));
  });

  test('pull --all-tags pulls every tag of the repository', async () => {
    const r = await daemon.docker(['pull', '--all-tags', ref('demo/app')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^latest: Pulling from demo\/app$/m);
    assert.match(r.stdout, /^v2: Pulling from demo\/app$/m);
  });

  test('images: -q, --digests, --format, --filter', async () => {
    const q = await daemon.docker(['images', '-q', '--no-trunc']);
    assert.equal(q.code, 0, q.stderr);
    assert.deepEqual(new Set(q.stdout.trim().split('\n')), new Set([app.configDigest, appV2.configDigest]));
    const all = await daemon.docker(['images', '-a', '-q', '--no-trunc']);
    assert.deepEqual(new Set(all.stdout.trim().split('\n')), new Set([app.configDigest, appV2.configDigest]));
    const fmt = await daemon.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    assert.ok(fmt.stdout.includes(`${ref('demo/app')}:latest ${app.configDigest.slice(7, 19)}`), fmt.stdout);
    const digests = await daemon.docker(['images', '--digests', '--format', '{{.Tag}} {{.Digest}}']);
    assert.ok(digests.stdout.split('\n').includes(`latest ${app.digest}`), digests.stdout);
    const label = await daemon.docker(['images', '-q', '--no-trunc', '--filter', 'label=org.example.role=app']);
    assert.equal(label.stdout.trim(), app.configDigest);
    const byRef = await daemon.docker(['images', '--format', '{{.Tag}}', '--filter', `reference=${ref('demo/app')}:v*`]);
    assert.equal(byRef.stdout.trim(), 'v2');
    const json = await daemon.docker(['images', '--format', '{{json .}}']);
    assert.ok(json.stdout.trim().split('\n').every((l) => typeof JSON.parse(l).ID === 'string'));
    const before = await daemon.docker(['images', '-q', '--no-trunc', '--filter', `before=${ref('demo/app:v2')}`]);
    assert.equal(before.stdout.trim(), app.configDigest);
  });

  test('inspect: Docker\'s shape, names with / and :', async () => {
    const r = await daemon.docker(['image', 'inspect', ref('demo/app:latest')]);
    assert.equal(r.code, 0, r.stderr);
    const [img] = JSON.parse(r.stdout) as Record<string, any>[];
    assert.equal(img!.Id, app.configDigest);
    assert.deepEqual(img!.RepoTags, [ref('demo/app:latest')]);
    assert.deepEqual(img!.RepoDigests, [ref(`demo/app@${app.digest}`)]);
    assert.deepEqual(img!.RootFS, { Type: 'layers', Layers: app.layers.map((l) => l.diffID) });
    assert.deepEqual(img!.Config.Cmd, ['/app/run.sh']);
    assert.equal(img!.Config.Labels['org.example.role'], 'app');
    assert.equal(img!.Architecture, 'amd64');
    assert.equal(img!.Os, 'linux');
    assert.equal(img!.GraphDriver.Name, 'overlay2');
    assert.ok(img!.Size > 16000, `size ${img!.Size}`);
    const missing = await daemon.docker(['image', 'inspect', 'nosuch:1']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such image: nosuch:1/);
  });

  test('tag, history, and rmi with conflicts', async () => {
    const t = await daemon.docker(['tag', ref('demo/app'), 'mine/app:1']);
    assert.equal(t.code, 0, t.stderr);
    const h = await daemon.docker(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}', 'mine/app:1']);
    assert.equal(h.code, 0, h.stderr);
    const rows = h.stdout.trim().split('\n');
    assert.equal(rows.length, 2);
    assert.equal(rows[0]!.split('|')[0], app.configDigest);
    assert.equal(rows[0]!.split('|')[1], '/bin/sh -c #(nop) ADD layer 1');
    assert.equal(rows[1]!.split('|')[0], '<missing>');

    const conflict = await daemon.docker(['rmi', app.configDigest.slice(7, 19)]);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories/);

    const untag = await daemon.docker(['rmi', 'mine/app:1']);
    assert.equal(untag.code, 0, untag.stderr);
    assert.equal(untag.stdout.trim(), 'Untagged: mine/app:1');
    const gone = await daemon.docker(['rmi', 'mine/app:1']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such image: mine\/app:1/);
  });

  test('errors: bad reference and missing tag exit 1 with the daemon\'s message', async () => {
    const missing = await daemon.docker(['pull', ref('demo/app:nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`manifest for ${ref('demo/app:nope').replace(/[.]/g, '\\.')} not found: manifest unknown`));
    const bad = await daemon.request('POST', '/v1.47/images/create?fromImage=Busybox&tag=latest');
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).message, /invalid reference format: repository name \(library\/Busybox\) must be lowercase/);
    const noRepo = await daemon.docker(['pull', ref('demo/none')]);
    assert.equal(noRepo.code, 1);
    assert.match(noRepo.stderr, /Error response from daemon: .*(not found|unknown)/);
  });

  test('a multi-platform index: the host platform is chosen, --platform picks another', async () => {
    const amd = await buildTestImage({ layers: [{ files: { 'arch': 'amd64' } }] });
    const i386 = await buildTestImage({ layers: [{ files: { 'arch': '386' } }], architecture: '386' });
    const indexDigest = await pushTestIndex(registry.url, 'demo/multi', 'latest', [amd, i386]);
    const r = await daemon.docker(['pull', ref('demo/multi')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Digest: ${indexDigest}`));
    const id = await daemon.docker(['image', 'inspect', '--format', '{{.Id}} {{.Architecture}}', ref('demo/multi')]);
    assert.equal(id.stdout.trim(), `${amd.configDigest} amd64`);
    const p = await daemon.docker(['pull', '--platform', 'linux/386', ref('demo/multi')]);
    assert.equal(p.code, 0, p.stderr);
    const id2 = await daemon.docker(['image', 'inspect', '--format', '{{.Id}} {{.Architecture}}', ref('demo/multi')]);
    assert.equal(id2.stdout.trim(), `${i386.configDigest} 386`);
    const none = await daemon.docker(['pull', '--platform', 'linux/s390x', ref('demo/multi')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);
  });

  test('image prune removes dangling images; -a removes the rest', async () => {
    // demo/multi's amd64 image lost its tag to the 386 one above: it is dangling now.
    const p = await daemon.docker(['image', 'prune', '-f']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^deleted: sha256:[0-9a-f]{64}$/m);
    assert.match(p.stdout, /Total reclaimed space: /);
    const dangling = await daemon.docker(['images', '-q', '--filter', 'dangling=true']);
    assert.equal(dangling.stdout.trim(), '');
    const all = await daemon.docker(['image', 'prune', '-a', '-f']);
    assert.equal(all.code, 0, all.stderr);
    const left = await daemon.docker(['images', '-q']);
    assert.equal(left.stdout.trim(), '');
    const df = await daemon.docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Size}}']);
    assert.match(df.stdout, /^Images 0 0B$/m);
  });
});
