// The registry server and client wired together in one process, with memory stores and no
// sockets: how the browser host runs them (the handler is the client's fetch).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { registryHandler } from '../../core/registry/server.ts';
import { RegistryClient } from '../../core/registry/client.ts';
import { MemoryUploadSpool } from '../../core/registry/memory-upload-spool.ts';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { MemoryMetadataStore } from '../../core/metadata/memory-kv.ts';
import { parseReference } from '../../core/reference/reference.ts';
import { digestBytes } from '../../core/digest.ts';
import { nodeHash } from '../../host-linux/services.ts';
import type { Fetch } from '../../core/host.ts';

const enc = new TextEncoder();

function setup(auth?: Parameters<typeof registryHandler>[0]['auth']) {
  const blobs = new MemoryBlobStore(nodeHash);
  const handler = registryHandler({ blobs, meta: new MemoryMetadataStore(), hash: nodeHash, uploads: new MemoryUploadSpool(), ...(auth ? { auth } : {}) });
  const fetch: Fetch = async (input, init) => handler(new Request(input, init));
  return { blobs, handler, fetch };
}

function blob(text: string) {
  const bytes = enc.encode(text);
  return { bytes, digest: digestBytes(nodeHash, bytes), size: bytes.byteLength };
}

describe('registry in memory', () => {
  it('pushes and pulls through the handler as fetch', async () => {
    const { fetch, blobs } = setup();
    const c = new RegistryClient({ fetch, hash: nodeHash, scheme: () => 'http' });
    const ref = parseReference('mem.local/demo/app:v1');
    const config = blob('{"architecture":"wasm","os":"wasi","rootfs":{"type":"layers","diff_ids":[]}}');
    await c.uploadBlob(ref, { ...config, data: config.bytes }, { chunkSize: 7 });
    const manifest = enc.encode(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size }, layers: [],
    }));
    const digest = await c.putManifest(ref, manifest, 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual((await c.getManifest(ref)).bytes, manifest);
    assert.deepEqual(await c.getBlobBytes(ref, config.digest), config.bytes);
    assert.deepEqual(await c.listTags(ref), ['v1']);
    assert.ok(await blobs.info(digest));
  });

  it('runs the Bearer token flow without a network', async () => {
    // bcrypt of "pw" at cost 4, as `htpasswd -Bbn -C 4 u pw` would write it.
    const { bcrypt } = await import('hash-wasm');
    const hash = await bcrypt({ password: 'pw', salt: new Uint8Array(16).fill(7), costFactor: 4, outputType: 'encoded' });
    const { fetch } = setup({ scheme: 'bearer', htpasswd: `u:${hash}\n` });
    const ref = parseReference('mem.local/secret/app:v1');
    const anon = new RegistryClient({ fetch, hash: nodeHash, scheme: () => 'http' });
    await assert.rejects(anon.getManifest(ref), /pull access denied for mem\.local\/secret\/app/);
    const user = new RegistryClient({ fetch, hash: nodeHash, scheme: () => 'http', credentials: async () => ({ username: 'u', password: 'pw' }) });
    await assert.rejects(user.getManifest(ref), /manifest for mem\.local\/secret\/app:v1 not found: manifest unknown: manifest unknown/);
  });

  it('answers unknown paths and methods plainly', async () => {
    const { handler } = setup();
    const r = await handler(new Request('http://x/elsewhere'));
    assert.equal(r.status, 404);
    const m = await handler(new Request('http://x/v2/a/manifests/latest', { method: 'POST' }));
    assert.equal(m.status, 405);
    assert.equal(m.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.equal(((await m.json()) as { errors: { code: string }[] }).errors[0]!.code, 'UNSUPPORTED');
    const u = await handler(new Request('http://x/v2/a/blobs/uploads/not-an-upload', { method: 'PATCH', body: 'x' }));
    assert.equal(u.status, 404);
    assert.equal(((await u.json()) as { errors: { code: string }[] }).errors[0]!.code, 'BLOB_UPLOAD_UNKNOWN');
  });
});
