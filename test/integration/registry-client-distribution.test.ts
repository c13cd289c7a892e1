// The registry client against the real CNCF registry (Debian's docker-registry) on loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryClient } from '../../core/registry/client.ts';
import { nodeHash } from '../../host-linux/services.ts';
import { parseReference } from '../../core/reference/reference.ts';
import { BerthError } from '../../core/errors.ts';
import type { Credentials } from '../../core/auth/credentials.ts';
import { htpasswdLine, makeImage, startDistribution, type Distribution, type TestImage } from './registry-fixtures.ts';

function client(creds?: Credentials): RegistryClient {
  return new RegistryClient({
    fetch: globalThis.fetch, hash: nodeHash, scheme: () => 'http', timeoutMs: 5000,
    ...(creds ? { credentials: async () => creds } : {}),
  });
}

async function pushImage(c: RegistryClient, refText: string, img: TestImage, chunkSize?: number): Promise<void> {
  const ref = parseReference(refText);
  for (const l of [...img.layers, img.config]) {
    await c.uploadBlob(ref, { digest: l.digest, size: l.size, data: l.bytes }, chunkSize ? { chunkSize } : {});
  }
  await c.putManifest(ref, img.manifest, img.mediaType);
}

describe('registry client against docker-registry', () => {
  let reg: Distribution;
  let img: TestImage;
  before(async () => {
    reg = await startDistribution();
    img = await makeImage([{ 'hello.txt': 'hello\n' }, { 'big.bin': 'x'.repeat(200_000) + Math.random() }]);
  });
  after(async () => { await reg?.stop(); });

  it('pushes monolithically and chunked, then pulls by tag and by digest with verified bytes', async () => {
    const c = client();
    const ref = parseReference(`${reg.host}/demo/app:v1`);
    await c.uploadBlob(ref, { digest: img.config.digest, size: img.config.size, data: img.config.bytes });
    // Chunked: 3 PATCHes with Content-Range for the big layer, streamed from a source function.
    const big = img.layers[1]!;
    let last = 0;
    await c.uploadBlob(ref, {
      digest: big.digest, size: big.size,
      data: async () => new ReadableStream({ start(ctl) { ctl.enqueue(big.bytes.slice(0, 10)); ctl.enqueue(big.bytes.slice(10)); ctl.close(); } }),
    }, { chunkSize: Math.ceil(big.size / 3), onProgress: (n) => { last = n; } });
    assert.equal(last, big.size);
    const small = img.layers[0]!;
    await c.uploadBlob(ref, { digest: small.digest, size: small.size, data: async () => new Response(small.bytes as BodyInit).body! });
    const pushed = await c.putManifest(ref, img.manifest, img.mediaType);
    assert.equal(pushed, img.manifestDigest);

    const byTag = await c.getManifest(ref);
    assert.equal(byTag.digest, img.manifestDigest);
    assert.equal(byTag.mediaType, img.mediaType);
    assert.deepEqual(byTag.bytes, img.manifest);
    const byDigest = await c.getManifest(parseReference(`${reg.host}/demo/app@${img.manifestDigest}`));
    assert.deepEqual(byDigest.bytes, img.manifest);
    const head = await c.headManifest(ref);
    assert.deepEqual(head, { digest: img.manifestDigest, size: img.manifest.byteLength, mediaType: img.mediaType });

    const blob = await c.getBlobBytes(ref, big.digest, { size: big.size });
    assert.deepEqual(blob, big.bytes);
    assert.deepEqual(await c.headBlob(ref, big.digest), { size: big.size });
    assert.equal(await c.headBlob(ref, 'sha256:' + '0'.repeat(64)), undefined);
  });

  it('mounts a blob from another repository instead of uploading it', async () => {
    const c = client();
    await pushImage(c, `${reg.host}/demo/src:1`, img);
    const target = parseReference(`${reg.host}/demo/dst`);
    const r = await c.mountBlob(target, img.layers[0]!.digest, 'demo/src');
    assert.deepEqual(r, { mounted: true });
    assert.deepEqual(await c.headBlob(target, img.layers[0]!.digest), { size: img.layers[0]!.size });
    // A blob the source does not have: the registry opens an upload session instead.
    const other = await makeImage([{ 'x': 'never pushed' }]);
    const r2 = await c.mountBlob(target, other.layers[0]!.digest, 'demo/src');
    assert.equal(r2.mounted, false);
    if (!r2.mounted) {
      await c.uploadBlob(target, { digest: other.layers[0]!.digest, size: other.layers[0]!.size, data: other.layers[0]!.bytes }, { location: r2.location });
    }
    assert.ok(await c.headBlob(target, other.layers[0]!.digest));
  });

  it('lists tags across pages and deletes manifests and blobs', async () => {
    const c = client();
    const tags = ['a', 'b', 'c', 'd', 'e'];
    for (const t of tags) await pushImage(c, `${reg.host}/demo/tags:${t}`, img);
    const repo = parseReference(`${reg.host}/demo/tags`);
    // distribution 2.8 ignores `n` for tags (pagination is tested against our server).
    assert.deepEqual((await c.listTags(repo, { pageSize: 2 })).sort(), tags);
    assert.deepEqual((await c.listTags(repo)).sort(), tags);

    await c.deleteManifest(repo, img.manifestDigest);
    await assert.rejects(c.getManifest(parseReference(`${reg.host}/demo/tags:a`)), /manifest for 127\.0\.0\.1:\d+\/demo\/tags:a not found: manifest unknown: manifest unknown/);
    await c.deleteBlob(repo, img.layers[0]!.digest);
    assert.equal(await c.headBlob(repo, img.layers[0]!.digest), undefined);
  });

  it("words errors the way Docker does", async () => {
    const c = client();
    await assert.rejects(c.getManifest(parseReference(`${reg.host}/demo/app:nope`)), (e: unknown) => {
      assert.ok(e instanceof BerthError);
      assert.equal(e.code, 'not_found');
      assert.match(e.message, /^manifest for 127\.0\.0\.1:\d+\/demo\/app:nope not found: manifest unknown: manifest unknown$/);
      return true;
    });
    await assert.rejects(c.getBlobBytes(parseReference(`${reg.host}/demo/app`), 'sha256:' + '1'.repeat(64)),
      /blob sha256:1{64} not found in 127\.0\.0\.1:\d+\/demo\/app: blob unknown: blob unknown to registry/);
    await assert.rejects(c.listTags(parseReference(`${reg.host}/demo/none`)), /repository 127\.0\.0\.1:\d+\/demo\/none not found: name unknown/);
    // A manifest whose blobs are missing.
    const lonely = await makeImage([{ 'y': 'missing layer' }]);
    await assert.rejects(c.putManifest(parseReference(`${reg.host}/demo/app:bad`), lonely.manifest, lonely.mediaType), /manifest blob unknown: blob unknown to registry/);
  });
});

describe('registry client against docker-registry with htpasswd Basic auth', () => {
  let reg: Distribution;
  let img: TestImage;
  before(async () => {
    reg = await startDistribution({ htpasswd: await htpasswdLine('alice', 's3cret') });
    img = await makeImage([{ 'a.txt': 'auth\n' }]);
  });
  after(async () => { await reg?.stop(); });

  it('pushes and pulls with the right password', async () => {
    const c = client({ username: 'alice', password: 's3cret' });
    assert.deepEqual(await c.ping(reg.host), { authSchemes: ['basic'] });
    assert.deepEqual(await c.login(reg.host, { username: 'alice', password: 's3cret' }), {});
    await pushImage(c, `${reg.host}/private/app:1`, img, 1000);
    const m = await c.getManifest(parseReference(`${reg.host}/private/app:1`));
    assert.equal(m.digest, img.manifestDigest);
  });

  it('refuses without credentials or with a wrong password', async () => {
    await assert.rejects(client().getManifest(parseReference(`${reg.host}/private/app:1`)), (e: unknown) => {
      assert.ok(e instanceof BerthError);
      assert.equal(e.code, 'unauthorized');
      assert.match(e.message, /^pull access denied for 127\.0\.0\.1:\d+\/private\/app, repository does not exist or may require 'docker login': unauthorized: authentication required$/);
      return true;
    });
    await assert.rejects(client({ username: 'alice', password: 'wrong' }).login(reg.host, { username: 'alice', password: 'wrong' }),
      /login attempt to http:\/\/127\.0\.0\.1:\d+\/v2\/ failed with status: 401 Unauthorized/);
    await assert.rejects(client({ username: 'alice', password: 'wrong' }).uploadBlob(parseReference(`${reg.host}/private/app`),
      { digest: img.config.digest, size: img.config.size, data: img.config.bytes }), /unauthorized: authentication required/);
  });
});
