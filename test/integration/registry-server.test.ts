// Our registry server (host-linux/registry/serve.ts on a loopback port) with our client, raw HTTP
// and skopeo: pull, push, chunked uploads, mounts, pagination, deletes, validation errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveRegistry, type Served } from '../../host-linux/registry/serve.ts';
import { RegistryClient } from '../../core/registry/client.ts';
import { nodeHash } from '../../host-linux/services.ts';
import { parseReference } from '../../core/reference/reference.ts';
import { makeImage, makeIndex, run, sha256, writeOciLayout, type TestImage } from './registry-fixtures.ts';

const client = () => new RegistryClient({ fetch: globalThis.fetch, hash: nodeHash, scheme: () => 'http', timeoutMs: 5000 });

async function push(c: RegistryClient, refText: string, img: TestImage): Promise<void> {
  const ref = parseReference(refText);
  for (const l of [...img.layers, img.config]) {
    if (!(await c.headBlob(ref, l.digest))) await c.uploadBlob(ref, { digest: l.digest, size: l.size, data: l.bytes });
  }
  await c.putManifest(ref, img.manifest, img.mediaType);
}

describe('berth registry server', () => {
  let root: string;
  let served: Served;
  let host: string;
  let img: TestImage;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-registry-'));
    served = await serveRegistry({ addr: '127.0.0.1:0', root });
    host = new URL(served.url).host;
    img = await makeImage([{ 'etc/hello': 'hello\n' }, { 'data.bin': 'z'.repeat(300_000) }]);
  });
  after(async () => {
    await served?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers the /v2/ ping with the API version header', async () => {
    const r = await fetch(`${served.url}/v2/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.equal(await r.text(), '{}');
  });

  it('takes a push and serves it back by tag and digest', async () => {
    const c = client();
    await push(c, `${host}/demo/app:v1`, img);
    const m = await c.getManifest(parseReference(`${host}/demo/app:v1`));
    assert.equal(m.digest, img.manifestDigest);
    assert.equal(m.mediaType, img.mediaType);
    assert.deepEqual(await c.headManifest(parseReference(`${host}/demo/app@${img.manifestDigest}`)),
      { digest: img.manifestDigest, mediaType: img.mediaType, size: img.manifest.byteLength });
    assert.deepEqual(await c.getBlobBytes(parseReference(`${host}/demo/app`), img.layers[1]!.digest), img.layers[1]!.bytes);
    // Blobs are in the shared content store layout.
    const stored = await readFile(join(root, 'blobs', 'blobs', 'sha256', img.layers[1]!.digest.slice(7)));
    assert.deepEqual(new Uint8Array(stored), img.layers[1]!.bytes);
  });

  it('serves byte ranges of blobs', async () => {
    const d = img.layers[1]!.digest;
    const r = await fetch(`${served.url}/v2/demo/app/blobs/${d}`, { headers: { Range: 'bytes=10-19' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes 10-19/${img.layers[1]!.size}`);
    assert.deepEqual(new Uint8Array(await r.arrayBuffer()), img.layers[1]!.bytes.slice(10, 20));
    const bad = await fetch(`${served.url}/v2/demo/app/blobs/${d}`, { headers: { Range: `bytes=${img.layers[1]!.size}-` } });
    assert.equal(bad.status, 416);
    await bad.body?.cancel();
  });

  it('does chunked uploads with Content-Range, status and resumption checks', async () => {
    const c = client();
    const blob = img.layers[1]!;
    const repo = parseReference(`${host}/demo/chunked`);
    await c.uploadBlob(repo, { digest: blob.digest, size: blob.size, data: blob.bytes }, { chunkSize: 65536 });
    assert.deepEqual(await c.headBlob(repo, blob.digest), { size: blob.size });

    // By hand: a chunk that does not continue the upload is refused with 416 and the current Range.
    const start = await fetch(`${served.url}/v2/demo/chunked/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202);
    const loc = new URL(start.headers.get('location')!, served.url);
    const p1 = await fetch(loc, { method: 'PATCH', body: blob.bytes.slice(0, 100), headers: { 'Content-Range': '0-99' } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.get('range'), '0-99');
    const gap = await fetch(loc, { method: 'PATCH', body: blob.bytes.slice(200, 300), headers: { 'Content-Range': '200-299' } });
    assert.equal(gap.status, 416);
    assert.equal(gap.headers.get('range'), '0-99');
    assert.equal(((await gap.json()) as { errors: { code: string }[] }).errors[0]!.code, 'BLOB_UPLOAD_INVALID');
    const status = await fetch(loc);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-99');
    // A wrong digest at the end is DIGEST_INVALID and stores nothing.
    const wrong = 'sha256:' + 'e'.repeat(64);
    const fin = await fetch(`${loc}${loc.search ? '&' : '?'}digest=${wrong}`, { method: 'PUT', body: blob.bytes.slice(100) });
    assert.equal(fin.status, 400);
    assert.equal(((await fin.json()) as { errors: { code: string }[] }).errors[0]!.code, 'DIGEST_INVALID');
    assert.equal((await fetch(`${served.url}/v2/demo/chunked/blobs/${wrong}`, { method: 'HEAD' })).status, 404);
    assert.deepEqual(await readdir(join(root, 'uploads')), []);
  });

  it('mounts blobs across repositories and falls back to an upload', async () => {
    const c = client();
    const target = parseReference(`${host}/other/app`);
    assert.deepEqual(await c.mountBlob(target, img.layers[0]!.digest, 'demo/app'), { mounted: true });
    assert.ok(await c.headBlob(target, img.layers[0]!.digest));
    const r = await c.mountBlob(target, img.layers[0]!.digest, 'does/not-exist');
    assert.equal(r.mounted, false);
    // Not linked in the target: a repository only serves what it links.
    assert.equal(await c.headBlob(parseReference(`${host}/third/app`), img.layers[0]!.digest), undefined);
  });

  it('lists tags and the catalog in pages', async () => {
    const c = client();
    for (const t of ['t1', 't2', 't3', 't4', 't5']) await push(c, `${host}/demo/paged:${t}`, img);
    const repo = parseReference(`${host}/demo/paged`);
    const first = await c.tagsPage(repo, { n: 2 });
    assert.deepEqual(first.tags, ['t1', 't2']);
    assert.match(first.nextUrl!, /\/v2\/demo\/paged\/tags\/list\?n=2&last=t2$/);
    assert.deepEqual(await c.listTags(repo, { pageSize: 2 }), ['t1', 't2', 't3', 't4', 't5']);
    const repos = await c.catalog(host, { pageSize: 1 });
    assert.deepEqual(repos, ['demo/app', 'demo/chunked', 'demo/paged', 'other/app']);
  });

  it('validates manifests: missing blobs, wrong digests, bad names and tags', async () => {
    const c = client();
    const lonely = await makeImage([{ 'x': 'never uploaded' }]);
    await assert.rejects(c.putManifest(parseReference(`${host}/demo/app:lonely`), lonely.manifest, lonely.mediaType),
      /manifest blob unknown: blob unknown to registry/);
    const r = await fetch(`${served.url}/v2/demo/app/manifests/${'sha256:' + 'a'.repeat(64)}`, {
      method: 'PUT', body: img.manifest as BodyInit, headers: { 'Content-Type': img.mediaType },
    });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0]!.code, 'DIGEST_INVALID');
    const bad = await fetch(`${served.url}/v2/Demo/App/manifests/latest`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { errors: { code: string }[] }).errors[0]!.code, 'NAME_INVALID');
    const junk = await fetch(`${served.url}/v2/demo/app/manifests/v2`, { method: 'PUT', body: '{"schemaVersion":2', headers: { 'Content-Type': img.mediaType } });
    assert.equal(((await junk.json()) as { errors: { code: string }[] }).errors[0]!.code, 'MANIFEST_INVALID');
    // An index whose child manifest is missing.
    const idx = makeIndex([{ image: lonely, platform: { os: 'linux', architecture: 'amd64' } }]);
    await assert.rejects(c.putManifest(parseReference(`${host}/demo/app:idx`), idx.bytes, 'application/vnd.oci.image.index.v1+json'),
      /manifest blob unknown/);
    await assert.rejects(c.getManifest(parseReference(`${host}/demo/app:nope`)),
      /manifest for 127\.0\.0\.1:\d+\/demo\/app:nope not found: manifest unknown: manifest unknown$/);
  });

  it('stores an index over its platform manifests', async () => {
    const c = client();
    const arm = await makeImage([{ 'arch': 'arm64' }], { arch: 'arm64' });
    await push(c, `${host}/multi/app:amd64`, img);
    await push(c, `${host}/multi/app:arm64`, arm);
    const idx = makeIndex([
      { image: img, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    assert.equal(await c.putManifest(parseReference(`${host}/multi/app:latest`), idx.bytes, 'application/vnd.oci.image.index.v1+json'), idx.digest);
    const got = await c.getManifest(parseReference(`${host}/multi/app`));
    assert.equal(got.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.equal(got.digest, idx.digest);
  });

  it('deletes manifests (and their tags) and blobs', async () => {
    const c = client();
    await push(c, `${host}/del/app:a`, img);
    await push(c, `${host}/del/app:b`, img);
    const repo = parseReference(`${host}/del/app`);
    await c.deleteManifest(repo, img.manifestDigest);
    assert.deepEqual(await c.listTags(repo), []);
    await assert.rejects(c.getManifest(parseReference(`${host}/del/app@${img.manifestDigest}`)), /not found: manifest unknown/);
    await c.deleteBlob(repo, img.layers[0]!.digest);
    assert.equal(await c.headBlob(repo, img.layers[0]!.digest), undefined);
    await assert.rejects(c.deleteBlob(repo, img.layers[0]!.digest), /blob sha256:[0-9a-f]{64} not found in 127\.0\.0\.1:\d+\/del\/app/);
    // Still served where it is linked.
    assert.ok(await c.headBlob(parseReference(`${host}/demo/app`), img.layers[0]!.digest));
  });

  it('round-trips with skopeo copy both ways', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-oci-'));
    const out = await mkdtemp(join(tmpdir(), 'berth-oci-out-'));
    try {
      const sk = await makeImage([{ 'skopeo.txt': 'from an OCI layout\n' }, { 'b': 'second layer' }]);
      await writeOciLayout(dir, sk, 'v1');
      const up = await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${dir}:v1`, `docker://${host}/skopeo/app:v1`]);
      assert.equal(up.code, 0, up.stderr);
      const m = await client().getManifest(parseReference(`${host}/skopeo/app:v1`));
      assert.equal(m.digest, sk.manifestDigest);
      const down = await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${host}/skopeo/app:v1`, `oci:${out}:copy`]);
      assert.equal(down.code, 0, down.stderr);
      const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      assert.equal(index.manifests[0]!.digest, sk.manifestDigest);
      for (const l of sk.layers) assert.equal(sha256(await readFile(join(out, 'blobs', 'sha256', l.digest.slice(7)))), l.digest);
      // And our own pushed image, pulled by skopeo, inspected by digest.
      const insp = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${host}/demo/app:v1`]);
      assert.equal(insp.code, 0, insp.stderr);
      assert.equal(sha256(insp.stdout), img.manifestDigest);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(out, { recursive: true, force: true });
    }
  });
});
