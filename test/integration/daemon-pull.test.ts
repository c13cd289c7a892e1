// berthd pulling from a real registry, layers unpacked while they download: what lands on disk
// (each layer on its own, whiteouts in overlay form, so the order of unpacking does not matter),
// a layer whose diffID is wrong (neither its blob nor a snapshot is kept), and two pulls sharing a
// layer at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushBlob, pushManifest, pushTestImage, sha256 } from '../helpers/test-image.ts';

let daemon: TestDaemon;
let registry: TestRegistry;

before(async () => {
  [daemon, registry] = await Promise.all([startBerthd(), startRegistry({ impl: 'cncf' })]);
});
after(async () => { await Promise.all([daemon?.cleanup(), registry?.stop()]); });

async function pull(repo: string, tag = 'latest'): Promise<{ status: number; messages: { status?: string; id?: string; error?: string }[] }> {
  const r = await daemon.request('POST', `/v1.47/images/create?fromImage=${encodeURIComponent(`${registry.host}/${repo}`)}&tag=${tag}`, undefined, { 'x-registry-auth': 'e30=' });
  return { status: r.status, messages: r.body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

const hex = (d: string) => d.slice('sha256:'.length);
const snapshots = async () => (await readdir(join(daemon.dataRoot, 'snapshots'))).filter((n) => /^[0-9a-f]{64}$/.test(n));
const blobPresent = async (digest: string) => lstat(join(daemon.dataRoot, 'content/blobs/sha256', hex(digest))).then(() => true, () => false);

describe('pull into the snapshotter', () => {
  test('every layer is unpacked on its own, whiteouts kept in overlay form', async () => {
    const img = await buildTestImage({
      layers: [
        { files: { 'etc/': '', 'etc/old.conf': 'old', 'etc/keep.conf': 'keep' } },
        { files: { 'etc/': '', 'etc/.wh.old.conf': '', 'big.bin': 'b'.repeat(2_000_000) } },
        { files: { 'etc/': '', 'etc/keep.conf': 'newer' }, compression: 'none' },
      ],
    });
    await pushTestImage(registry.url, 'pull/layers', 'latest', img);
    const r = await pull('pull/layers');
    assert.equal(r.status, 200);
    assert.ok(!r.messages.some((m) => m.error), JSON.stringify(r.messages));
    for (const l of img.layers) assert.ok(r.messages.some((m) => m.id === hex(l.digest).slice(0, 12) && m.status === 'Pull complete'));
    const [l0, l1, l2] = img.layers.map((l) => join(daemon.dataRoot, 'snapshots', hex(l.diffID)));
    assert.equal(await readFile(join(l0!, 'etc/old.conf'), 'utf8'), 'old');
    const wh = await lstat(join(l1!, 'etc/old.conf'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'a whiteout is a 0/0 character device');
    assert.equal((await lstat(join(l1!, 'big.bin'))).size, 2_000_000);
    assert.equal(await readFile(join(l2!, 'etc/keep.conf'), 'utf8'), 'newer');
    for (const l of img.layers) assert.ok(await blobPresent(l.digest));
    const inspect = JSON.parse((await daemon.request('GET', `/images/${registry.host}/pull/layers/json`)).body);
    assert.equal(inspect.Id, img.configDigest);
  });

  test('the snapshots directory spreads layer directories over ext4 block groups (chattr +T)', async (t) => {
    let attrs: string;
    try {
      attrs = execFileSync('lsattr', ['-d', join(daemon.dataRoot, 'snapshots')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      t.skip('lsattr cannot read flags on this file system');
      return;
    }
    assert.match(attrs.split(' ')[0]!, /T/);
  });

  test('a layer whose tar does not match its diffID fails the pull and keeps neither blob nor snapshot', async () => {
    const good = await buildTestImage({ layers: [{ files: { 'a.txt': 'fine' } }, { files: { 'b.txt': 'x'.repeat(100_000) } }] });
    const liar = await buildTestImage({ layers: [{ files: { 'other.txt': 'something else' } }] });
    // The config claims the second layer unpacks to another tar than it does.
    const config = JSON.parse(new TextDecoder().decode(good.config));
    config.rootfs.diff_ids[1] = liar.layers[0]!.diffID;
    const configBytes = new TextEncoder().encode(JSON.stringify(config));
    const manifest = JSON.parse(new TextDecoder().decode(good.manifest));
    manifest.config = { ...manifest.config, digest: sha256(configBytes), size: configBytes.byteLength };
    const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
    for (const l of good.layers) await pushBlob(registry.url, 'pull/liar', l.data, l.digest);
    await pushBlob(registry.url, 'pull/liar', configBytes);
    await pushManifest(registry.url, 'pull/liar', 'latest', good.mediaType, manifestBytes);

    const imagesBefore = (await daemon.request('GET', '/images/json')).body;
    const r = await pull('pull/liar');
    const error = r.messages.find((m) => m.error);
    assert.ok(error, JSON.stringify(r.messages));
    assert.match(error.error!, /diffID|digest/);
    assert.equal((await daemon.request('GET', '/images/json')).body, imagesBefore);
    assert.equal(await blobPresent(good.layers[1]!.digest), false, 'the layer\'s blob was not kept');
    const dirs = await snapshots();
    assert.ok(!dirs.includes(hex(liar.layers[0]!.diffID)) && !dirs.includes(hex(good.layers[1]!.diffID)), 'no snapshot of the bad layer');
  });

  test('two pulls sharing a layer at once both succeed and unpack it once', async () => {
    const shared = { files: { 'shared/': '', 'shared/lib.so': 's'.repeat(3_000_000) } };
    const one = await buildTestImage({ layers: [shared, { files: { 'one.txt': '1' } }] });
    const two = await buildTestImage({ layers: [shared, { files: { 'two.txt': '2' } }] });
    await pushTestImage(registry.url, 'pull/one', 'latest', one);
    await pushTestImage(registry.url, 'pull/two', 'latest', two);
    const [a, b] = await Promise.all([pull('pull/one'), pull('pull/two')]);
    for (const r of [a, b]) assert.ok(!r.messages.some((m) => m.error), JSON.stringify(r.messages));
    assert.equal((await lstat(join(daemon.dataRoot, 'snapshots', hex(one.layers[0]!.diffID), 'shared/lib.so'))).size, 3_000_000);
    const ids = JSON.parse((await daemon.request('GET', '/images/json')).body).map((i: { Id: string }) => i.Id);
    assert.ok(ids.includes(one.configDigest) && ids.includes(two.configDigest));
  });
});
