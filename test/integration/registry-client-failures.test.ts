// The registry client against misbehaving servers on loopback: wrong digests, bare error
// statuses, hangs, stalls, truncated bodies, redirects, and hosts that cannot be reached. Each
// failure must be one clear line, and nothing unverified may reach the content store.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { RegistryClient } from '../../core/registry/client.ts';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { nodeHash } from '../../host-linux/services.ts';
import { parseReference } from '../../core/reference/reference.ts';
import { BerthError } from '../../core/errors.ts';
import { freePort, sha256 } from './registry-fixtures.ts';

const good = new TextEncoder().encode('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:' + 'c'.repeat(64) + '","size":2},"layers":[]}');
const goodDigest = sha256(good);
const evil = new TextEncoder().encode('{"schemaVersion":2,"evil":true}');
const blob = new TextEncoder().encode('the real layer bytes '.repeat(1000));
const blobDigest = sha256(blob);

function oneLine(e: unknown): string {
  assert.ok(e instanceof BerthError, `expected a BerthError, got ${String(e)}`);
  assert.ok(!e.message.includes('\n'), `message has several lines: ${e.message}`);
  return e.message;
}

describe('registry client against a misbehaving registry', () => {
  let server: http.Server;
  let host: string;
  const sockets = new Set<import('node:net').Socket>();
  before(async () => {
    server = http.createServer((req, res) => {
      const u = req.url ?? '';
      if (u === '/v2/') { res.end('{}'); return; }
      if (u === '/v2/bad/manifests/latest') {
        // Claims the good digest, sends other bytes.
        res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': goodDigest });
        res.end(evil);
        return;
      }
      if (u === `/v2/bad/manifests/${goodDigest}`) {
        res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end(evil);
        return;
      }
      if (u === '/v2/ok/manifests/latest') {
        res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': goodDigest });
        res.end(good);
        return;
      }
      if (u === `/v2/bad/blobs/${blobDigest}`) { res.end(new Uint8Array(blob).reverse()); return; }
      if (u === `/v2/redirect/blobs/${blobDigest}`) { res.writeHead(307, { Location: `/storage/${blobDigest}` }); res.end(); return; }
      if (u === `/storage/${blobDigest}`) { res.end(blob); return; }
      if (u === `/v2/truncated/blobs/${blobDigest}`) {
        res.writeHead(200, { 'Content-Length': String(blob.byteLength) });
        res.write(blob.subarray(0, 100));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      if (u === `/v2/stall/blobs/${blobDigest}`) {
        res.writeHead(200, { 'Content-Length': String(blob.byteLength) });
        res.write(blob.subarray(0, 100));
        return; // and never another byte
      }
      if (u.startsWith('/v2/hang/')) return; // never answers
      if (u.startsWith('/v2/e500/')) { res.writeHead(500); res.end('oops'); return; }
      if (u.startsWith('/v2/e401/')) { res.writeHead(401); res.end(); return; }
      if (u.startsWith('/v2/e404/')) { res.writeHead(404); res.end(); return; }
      if (u.startsWith('/v2/denied/')) {
        res.writeHead(403, { 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}');
        return;
      }
      res.writeHead(404);
      res.end();
    });
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address() as import('node:net').AddressInfo;
    host = `127.0.0.1:${a.port}`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  const client = (timeoutMs = 3000) => new RegistryClient({ fetch: globalThis.fetch, hash: nodeHash, scheme: () => 'http', timeoutMs });

  it('rejects a manifest whose bytes do not match Docker-Content-Digest or the requested digest', async () => {
    await assert.rejects(client().getManifest(parseReference(`${host}/bad:latest`)), (e) => {
      assert.match(oneLine(e), new RegExp(`^manifest verification failed for 127\\.0\\.0\\.1:\\d+/bad:latest: expected digest ${goodDigest}, the registry sent content with digest sha256:[0-9a-f]{64}$`));
      return true;
    });
    await assert.rejects(client().getManifest(parseReference(`${host}/bad@${goodDigest}`)), /manifest verification failed for .*\/bad@sha256:/);
    assert.equal((await client().getManifest(parseReference(`${host}/ok`))).digest, goodDigest);
  });

  it('rejects a blob with wrong bytes, naming the digest, and stores nothing', async () => {
    const store = new MemoryBlobStore(nodeHash);
    const c = client();
    await assert.rejects(store.write({ digest: blobDigest, size: blob.byteLength }, () => c.getBlob(parseReference(`${host}/bad`), blobDigest, { size: blob.byteLength })),
      (e) => { assert.match(oneLine(e), new RegExp(`digest mismatch: expected ${blobDigest}`)); return true; });
    assert.equal(await store.info(blobDigest), undefined);
  });

  it('follows a redirect to storage and verifies what it gets', async () => {
    let seen = 0;
    const bytes = await client().getBlobBytes(parseReference(`${host}/redirect`), blobDigest);
    assert.deepEqual(bytes, blob);
    const s = await client().getBlob(parseReference(`${host}/redirect`), blobDigest, { onProgress: (n) => { seen = n; } });
    await new Response(s).arrayBuffer();
    assert.equal(seen, blob.byteLength);
  });

  it('reports a truncated body with the digest', async () => {
    const store = new MemoryBlobStore(nodeHash);
    await assert.rejects(store.write({ digest: blobDigest }, () => client().getBlob(parseReference(`${host}/truncated`), blobDigest)), (e) => {
      assert.match(oneLine(e), new RegExp(`^blob ${blobDigest} from 127\\.0\\.0\\.1:\\d+ was cut off after 100 bytes: the connection closed before the body was complete$`));
      return true;
    });
    assert.equal(await store.info(blobDigest), undefined);
  });

  it('times out on a registry that never answers and on a stalled body', async () => {
    const t0 = Date.now();
    await assert.rejects(client(300).getManifest(parseReference(`${host}/hang:latest`)), (e) => {
      assert.match(oneLine(e), /^registry 127\.0\.0\.1:\d+ did not answer within 0\.3s: Get "http:\/\/127\.0\.0\.1:\d+\/v2\/hang\/manifests\/latest"$/);
      assert.equal((e as BerthError).code, 'timeout');
      return true;
    });
    assert.ok(Date.now() - t0 < 2000);
    await assert.rejects(client(300).getBlobBytes(parseReference(`${host}/stall`), blobDigest), (e) => {
      assert.match(oneLine(e), new RegExp(`^blob ${blobDigest} from 127\\.0\\.0\\.1:\\d+ stalled: no data for 0\\.3s$`));
      return true;
    });
  });

  it('words bare 401, 403, 404 and 500 answers as Docker does', async () => {
    await assert.rejects(client().getManifest(parseReference(`${host}/e500:latest`)), (e) => {
      assert.equal(oneLine(e), 'received unexpected HTTP status: 500 Internal Server Error');
      return true;
    });
    await assert.rejects(client().getManifest(parseReference(`${host}/e401:latest`)), (e) => {
      assert.match(oneLine(e), /^pull access denied for 127\.0\.0\.1:\d+\/e401, repository does not exist or may require 'docker login': unauthorized: authentication required$/);
      return true;
    });
    await assert.rejects(client().getManifest(parseReference(`${host}/denied:latest`)), (e) => {
      assert.match(oneLine(e), /^pull access denied for 127\.0\.0\.1:\d+\/denied, repository does not exist or may require 'docker login': denied: requested access to the resource is denied$/);
      assert.equal((e as BerthError).code, 'forbidden');
      return true;
    });
    await assert.rejects(client().getManifest(parseReference(`${host}/e404:1.0`)), (e) => {
      assert.match(oneLine(e), /^manifest for 127\.0\.0\.1:\d+\/e404:1\.0 not found: manifest unknown: manifest unknown$/);
      assert.equal((e as BerthError).code, 'not_found');
      return true;
    });
    await assert.rejects(client().uploadBlob(parseReference(`${host}/e500`), { digest: blobDigest, size: blob.byteLength, data: blob }),
      (e) => { assert.equal(oneLine(e), 'received unexpected HTTP status: 500 Internal Server Error'); return true; });
  });
});

describe('registry client against unreachable hosts', () => {
  const client = () => new RegistryClient({ fetch: globalThis.fetch, hash: nodeHash, scheme: () => 'https', timeoutMs: 10_000 });

  it('fails fast on connection refused, naming the host', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await assert.rejects(client().getManifest(parseReference(`127.0.0.1:${port}/x:latest`)), (e) => {
      assert.equal(oneLine(e), `cannot reach registry 127.0.0.1:${port}: Get "https://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused`);
      assert.equal((e as BerthError).code, 'unavailable');
      return true;
    });
    assert.ok(Date.now() - t0 < 2000);
  });

  it('fails fast on a name that does not resolve', async () => {
    const t0 = Date.now();
    await assert.rejects(client().getManifest(parseReference('registry.berth-test.invalid/x:latest')), (e) => {
      assert.equal(oneLine(e), 'cannot reach registry registry.berth-test.invalid: Get "https://registry.berth-test.invalid/v2/": dial tcp: lookup registry.berth-test.invalid: no such host');
      return true;
    });
    assert.ok(Date.now() - t0 < 2000, 'DNS failure took too long');
  });

  it('says so when an HTTPS client meets a plain-HTTP registry', async () => {
    const server = http.createServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      await assert.rejects(client().getManifest(parseReference(`127.0.0.1:${port}/x:latest`)),
        (e) => { assert.match(oneLine(e), /http: server gave HTTP response to HTTPS client$/); return true; });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
