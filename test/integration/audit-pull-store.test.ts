// Issue 2 audit, through a real berthd: what the other tests prove only one layer down. Concurrent
// pulls share each layer's download (counted at the registry, not in the blob store); a pull that
// fails leaves the content store as it was; registry errors are worded once, with Docker's names.
// Tests marked `todo` record defects the audit found: they run, and start passing when fixed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { REPO_ROOT, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushBlob, pushManifest, pushTestImage, sha256, type BuiltImage } from '../helpers/test-image.ts';

let daemon: TestDaemon;
let registry: TestRegistry;
let authRegistry: TestRegistry;
let proxy: http.Server;
let proxyHost: string;
/** GETs of each blob digest that reached the registry through the proxy. */
const blobGets = new Map<string, number>();
/** Blob answers wait this long, so that concurrent pulls overlap while a layer is downloading. */
const BLOB_DELAY_MS = 400;

/** A pass-through proxy in front of the registry that counts blob GETs and holds their answers back a little. */
function startProxy(upstream: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '');
      if (m && req.method === 'GET') {
        blobGets.set(m[1]!, (blobGets.get(m[1]!) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, BLOB_DELAY_MS));
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection'].includes(k)) headers[k] = v;
      const up = await fetch(upstream + req.url, { method: req.method ?? 'GET', headers, redirect: 'manual' });
      const out: Record<string, string> = {};
      up.headers.forEach((v, k) => { if (!['transfer-encoding', 'connection', 'keep-alive', 'content-encoding'].includes(k)) out[k] = v; });
      const body = req.method === 'HEAD' ? new Uint8Array() : new Uint8Array(await up.arrayBuffer());
      res.writeHead(up.status, out);
      res.end(body);
    })().catch((e: unknown) => { res.destroy(e as Error); });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function blobFiles(): Promise<string[]> {
  return (await readdir(join(daemon.dataRoot, 'content/blobs/sha256')).catch(() => [] as string[])).sort();
}

async function snapshotDirs(): Promise<string[]> {
  return (await readdir(join(daemon.dataRoot, 'snapshots')).catch(() => [] as string[])).sort();
}

async function pull(ref: string): Promise<{ status: number; body: string }> {
  const i = ref.lastIndexOf(':');
  return daemon.request('POST', `/v1.47/images/create?fromImage=${encodeURIComponent(ref.slice(0, i))}&tag=${encodeURIComponent(ref.slice(i + 1))}`, undefined, { 'x-registry-auth': 'e30=' });
}

/** The error a pull stream ended with ('' when it ended well). */
function streamError(body: string): string {
  const last = body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as { error?: string; message?: string }).pop();
  return last?.error ?? '';
}

before(async () => {
  [daemon, registry, authRegistry] = await Promise.all([
    startBerthd({ env: { BERTH_BLOCK_HOSTS: 'registry-1.docker.io,index.docker.io,auth.docker.io' } }),
    startRegistry({ impl: 'cncf' }),
    startRegistry({ impl: 'berth', auth: { username: 'alice', password: 'pw-audit', scheme: 'bearer' } }),
  ]);
  proxy = await startProxy(registry.url);
  const a = proxy.address();
  proxyHost = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});

after(async () => {
  await new Promise<void>((r) => { proxy?.closeAllConnections(); proxy ? proxy.close(() => r()) : r(); });
  await Promise.all([daemon?.cleanup(), registry?.stop(), authRegistry?.stop()]);
});

describe('issue 2 audit: pulls through berthd', () => {
  test('three concurrent pulls of one image fetch each layer from the registry once', async () => {
    const img = await buildTestImage({ layers: [
      { files: { 'one.bin': 'a'.repeat(200_000) }, compression: 'none' },
      { files: { 'two.bin': 'b'.repeat(300_000) }, compression: 'none' },
    ] });
    // Three tags of one image: three pulls that need the same layers at the same time.
    for (const tag of ['x', 'y', 'z']) await pushTestImage(registry.url, 'audit/shared', tag, img);
    const refs = ['x', 'y', 'z'].map((t) => `${proxyHost}/audit/shared:${t}`);
    const results = await Promise.all(refs.map((r) => pull(r)));
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.equal(streamError(r.body), '', r.body);
    }
    for (const l of img.layers) assert.equal(blobGets.get(l.digest), 1, `GETs of layer ${l.digest}: ${JSON.stringify([...blobGets])}`);
    for (const ref of refs) {
      const inspect = await daemon.request('GET', `/v1.47/images/${ref}/json`);
      assert.equal(inspect.status, 200, ref);
      assert.equal((JSON.parse(inspect.body) as { Id: string }).Id, img.configDigest);
    }
  });

  test('a pull whose layer does not match its diffID fails and leaves the content store as it was', async () => {
    const good = await buildTestImage({ layers: [{ files: { 'ok.txt': 'fine\n'.repeat(5000) } }, { files: { 'two.txt': 'two\n'.repeat(5000) } }] });
    // A config whose second diff_id names another tar: the first layer is stored and unpacked, the
    // second downloads and verifies, then does not match.
    const config = new TextEncoder().encode(JSON.stringify({
      architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [good.layers[0]!.diffID, `sha256:${'1'.repeat(64)}`] },
    }));
    const manifest = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(config), size: config.byteLength },
      layers: good.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }));
    for (const l of good.layers) await pushBlob(registry.url, 'audit/bad-diffid', l.data);
    await pushBlob(registry.url, 'audit/bad-diffid', config);
    await pushManifest(registry.url, 'audit/bad-diffid', 'latest', 'application/vnd.docker.distribution.manifest.v2+json', manifest);
    const before = await blobFiles();
    const snapshotsBefore = await snapshotDirs();
    const r = await pull(`${registry.host}/audit/bad-diffid:latest`);
    assert.match(streamError(r.body), /diffID/, r.body);
    const list = await daemon.request('GET', '/v1.47/images/json');
    assert.ok(!list.body.includes('bad-diffid'), list.body);
    assert.deepEqual(await blobFiles(), before);
    assert.deepEqual(await snapshotDirs(), snapshotsBefore);
  });

  test('a layer that is not a tar fails the pull with one clear line naming the layer', async () => {
    const text = new TextEncoder().encode('this is a text file, not a tar archive\n'.repeat(100));
    const config = new TextEncoder().encode(JSON.stringify({
      architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(text)] },
    }));
    const manifest = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.byteLength },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(text), size: text.byteLength }],
    }));
    await pushBlob(registry.url, 'audit/not-tar', text);
    await pushBlob(registry.url, 'audit/not-tar', config);
    await pushManifest(registry.url, 'audit/not-tar', 'latest', 'application/vnd.oci.image.manifest.v1+json', manifest);
    const r = await pull(`${registry.host}/audit/not-tar:latest`);
    const err = streamError(r.body);
    assert.equal(err, `layer ${sha256(text)} was not unpacked: invalid tar header: checksum mismatch at offset 0 (the layer is not a tar archive)`);
  });

  test('a load of a cut-off archive fails and leaves the content store as it was', async () => {
    const img = await buildTestImage({ layers: [
      { files: { 'l1.bin': 'x'.repeat(100_000) } }, { files: { 'l2.bin': 'y'.repeat(100_000) } },
    ] });
    await pushTestImage(registry.url, 'audit/cut', 'latest', img);
    const ref = `${registry.host}/audit/cut:latest`;
    assert.equal(streamError((await pull(ref)).body), '');
    const file = join(daemon.dir, 'cut.tar');
    assert.equal((await daemon.docker(['save', '-o', file, ref])).code, 0);
    assert.equal((await daemon.docker(['rmi', ref])).code, 0);
    const before = await blobFiles();
    // The archive cut where index.json starts: every blob is in, neither index.json nor manifest.json is.
    const tar = await readFile(file);
    let cut = 0;
    while (cut < tar.byteLength && tar.subarray(cut, cut + 11).toString('latin1') !== 'index.json\0') cut += 512;
    assert.ok(cut > 0 && cut < tar.byteLength, 'index.json in the archive');
    const loaded = await daemon.docker(['load'], { input: tar.subarray(0, cut) });
    assert.equal(loaded.code, 1, loaded.stdout);
    assert.deepEqual(await blobFiles(), before);
  });

  test('image prune collects blobs no image reaches even when it removes no image', async () => {
    // What a crash (or an older berth) can leave: a complete blob outside any image.
    const stray = new TextEncoder().encode('a blob outside any image\n');
    const hex = sha256(stray).slice('sha256:'.length);
    await writeFile(join(daemon.dataRoot, 'content/blobs/sha256', hex), stray);
    const r = await daemon.request('POST', '/v1.47/images/prune');
    assert.equal(r.status, 200, r.body);
    assert.equal((JSON.parse(r.body) as { ImagesDeleted: unknown }).ImagesDeleted, null);
    assert.ok(!(await blobFiles()).includes(hex));
  });

  test('an anonymous pull refused by a registry says "pull access denied" once', async () => {
    const r = await pull(`${authRegistry.host}/private/thing:latest`);
    const text = r.status === 200 ? streamError(r.body) : (JSON.parse(r.body) as { message: string }).message;
    assert.match(text, /^pull access denied for 127\.0\.0\.1:\d+\/private\/thing, repository does not exist or may require 'docker login'/);
    assert.equal(text.split('pull access denied').length - 1, 1, text);
  });

  test('a push of a Docker Hub name refers to the repository by its full name, as dockerd does', async () => {
    const img: BuiltImage = await buildTestImage({ layers: [{ files: { 'hub.txt': 'hub' } }] });
    await pushTestImage(registry.url, 'audit/hub', 'latest', img);
    assert.equal((await pull(`${registry.host}/audit/hub:latest`)).status, 200);
    const tagged = await daemon.request('POST', `/v1.47/images/${registry.host}/audit/hub:latest/tag?repo=audit/hub&tag=latest`);
    assert.equal(tagged.status, 201, tagged.body);
    const r = await daemon.request('POST', '/v1.47/images/audit/hub/push?tag=latest', undefined, { 'x-registry-auth': 'e30=' });
    const first = r.body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as { status?: string })[0];
    const messages = r.body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as { status?: string; error?: string });
    assert.deepEqual(messages[0], { status: 'The push refers to repository [docker.io/audit/hub]' });
    // Docker Hub is blocked here: dockerd fails before preparing any layer, in Go's words, not naming the registry twice.
    assert.equal(messages.length, 2, r.body);
    assert.match(messages[1]!.error ?? '', /^Get "https:\/\/registry-1\.docker\.io\/v2\/": /, r.body);
  });

  test('a push of a name with no local image streams the repository, then dockerd\'s error', async () => {
    const r = await daemon.request('POST', `/v1.47/images/${registry.host}/nonexist/x/push?tag=latest`, undefined, { 'x-registry-auth': 'e30=' });
    assert.equal(r.status, 200, r.body);
    const messages = r.body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as { status?: string; error?: string });
    assert.deepEqual(messages.map((m) => m.status ?? m.error), [
      `The push refers to repository [${registry.host}/nonexist/x]`,
      `An image does not exist locally with the tag: ${registry.host}/nonexist/x`,
    ]);
    // A repository that exists locally, but not with this tag.
    const other = await daemon.request('POST', `/v1.47/images/${registry.host}/audit/hub/push?tag=nosuchtag`, undefined, { 'x-registry-auth': 'e30=' });
    assert.equal(streamError(other.body), `tag does not exist: ${registry.host}/audit/hub:nosuchtag`, other.body);
  });
});

describe('issue 2 audit: a registry mirror that hangs', { concurrency: true }, () => {
  const BUILTIN = join(REPO_ROOT, 'build/images');
  let hung: net.Server;
  let mirrorUrl: string;
  let mirrored: TestDaemon;
  const sockets = new Set<net.Socket>();
  before(async () => {
    // Accepts connections and never answers, as a mirror behind a dead proxy.
    hung = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    mirrorUrl = `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`;
    mirrored = await startBerthd({
      args: ['--registry-mirror', mirrorUrl],
      ...(existsSync(join(BUILTIN, 'index.json')) ? { builtinImages: BUILTIN } : {}),
      env: { BERTH_BLOCK_HOSTS: 'registry-1.docker.io,index.docker.io,auth.docker.io' },
    });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => hung.close(() => r()));
    await mirrored?.cleanup();
  });

  test('a Hub name fails within seconds, and the message names the mirror', { timeout: 20_000 }, async () => {
    const t0 = Date.now();
    const r = await mirrored.request('POST', '/v1.47/images/create?fromImage=nothere-audit&tag=latest', undefined, { 'x-registry-auth': 'e30=' });
    const text = r.status === 200 ? streamError(r.body) : (JSON.parse(r.body) as { message: string }).message;
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    assert.ok(text.includes(`the registry mirror ${mirrorUrl}/ failed (registry 127.0.0.1:`), text);
    assert.match(text, /nothere-audit:latest is not one of berth's built-in images .*: check the registry mirror or pull from a local registry$/);
  });

  test('the built-in fallback says the mirror failed too', { timeout: 20_000, skip: existsSync(join(BUILTIN, 'index.json')) ? false : 'no build/images (run scripts/setup.sh)' }, async () => {
    const t0 = Date.now();
    const r = await mirrored.request('POST', '/v1.47/images/create?fromImage=busybox&tag=latest', undefined, { 'x-registry-auth': 'e30=' });
    assert.equal(r.status, 200, r.body);
    assert.equal(streamError(r.body), '', r.body);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    const first = r.body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as { status?: string })[0]?.status ?? '';
    assert.match(first, new RegExp(`^Docker Hub is unreachable and the registry mirror ${mirrorUrl}/ failed \\(.*\\); using berth's built-in busybox:latest$`));
  });
});
