// Issue 2 audit: "a crash at any point leaves a consistent store", through the real daemon. berthd is
// killed (SIGKILL) while a pull is half-way through a layer download, after another layer of the
// same image was already stored; a new berthd on the same data root starts clean, lists nothing
// half-pulled, leaves no temp files behind, and pulls the image whole.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushTestImage, type BuiltImage } from '../helpers/test-image.ts';

let first: TestDaemon;
let second: TestDaemon | undefined;
let registry: TestRegistry;
let proxy: http.Server;
let image: BuiltImage;
const held: http.ServerResponse[] = [];
let stalled!: () => void;
const stalledNow = new Promise<void>((r) => { stalled = r; });

/** Passes the registry through, except the big layer: half of it, then nothing more. */
function startStallingProxy(upstream: string, stallDigest: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection'].includes(k)) headers[k] = v;
      const up = await fetch(upstream + req.url, { method: req.method ?? 'GET', headers, redirect: 'manual' });
      const out: Record<string, string> = {};
      up.headers.forEach((v, k) => { if (!['transfer-encoding', 'connection', 'keep-alive', 'content-encoding'].includes(k)) out[k] = v; });
      const body = req.method === 'HEAD' ? new Uint8Array() : new Uint8Array(await up.arrayBuffer());
      res.writeHead(up.status, out);
      if (req.method === 'GET' && req.url?.endsWith(`/blobs/${stallDigest}`)) {
        res.write(body.subarray(0, body.byteLength >> 1));
        held.push(res);
        stalled();
        return;
      }
      res.end(body);
    })().catch((e: unknown) => { res.destroy(e as Error); });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  [first, registry] = await Promise.all([startBerthd(), startRegistry()]);
  image = await buildTestImage({ layers: [
    { files: { 'small.txt': 'small\n' } },
    { files: { 'big.bin': 'q'.repeat(2_000_000) }, compression: 'none' },
  ] });
  await pushTestImage(registry.url, 'audit/crash', 'v1', image);
  proxy = await startStallingProxy(registry.url, image.layers[1]!.digest);
});

after(async () => {
  for (const r of held) r.destroy();
  await new Promise<void>((r) => { proxy?.closeAllConnections(); proxy ? proxy.close(() => r()) : r(); });
  await second?.cleanup();
  await Promise.all([first?.cleanup(), registry?.stop()]);
});

test('berthd killed mid-pull: the next berthd on the same data root is consistent and pulls the image whole', async () => {
  const a = proxy.address();
  const viaProxy = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/audit/crash`;
  const pulling = first.request('POST', `/v1.47/images/create?fromImage=${encodeURIComponent(viaProxy)}&tag=v1`, undefined, { 'x-registry-auth': 'e30=' }).catch(() => undefined);
  await stalledNow;
  // Let the small layer finish (download, verify, unpack) so the crash lands between two layers' work.
  const blobs = () => readdir(join(first.dataRoot, 'content/blobs/sha256')).catch(() => [] as string[]);
  const deadline = Date.now() + 5000;
  while (!(await blobs()).includes(image.layers[0]!.digest.slice(7)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const ingest = await readdir(join(first.dataRoot, 'content/ingest'));
  assert.ok(ingest.length > 0, 'the big layer is being written to ingest/ when the daemon dies');
  first.process.kill('SIGKILL');
  await pulling;
  await new Promise((r) => first.process.exitCode !== null || first.process.signalCode !== null ? r(undefined) : first.process.once('exit', r));

  second = await startBerthd({ dataRoot: first.dataRoot });
  const listed = JSON.parse((await second.request('GET', '/v1.47/images/json')).body) as { RepoTags: string[] }[];
  assert.deepEqual(listed.flatMap((i) => i.RepoTags), [], 'no half-pulled image is listed');
  assert.deepEqual(await readdir(join(first.dataRoot, 'content/ingest')), [], 'partial downloads are swept at start-up');
  assert.equal((await blobs()).includes(image.layers[1]!.digest.slice(7)), false, 'the half-downloaded layer is not in the content store');

  const r = await second.request('POST', `/v1.47/images/create?fromImage=${encodeURIComponent(`${registry.host}/audit/crash`)}&tag=v1`, undefined, { 'x-registry-auth': 'e30=' });
  assert.equal(r.status, 200);
  assert.match(r.body, /Status: Downloaded newer image/, r.body);
  const inspect = JSON.parse((await second.request('GET', `/v1.47/images/${registry.host}/audit/crash:v1/json`)).body) as { Id: string; RootFS: { Layers: string[] } };
  assert.equal(inspect.Id, image.configDigest);
  const snapshots = await readdir(join(first.dataRoot, 'snapshots'));
  assert.deepEqual(snapshots.filter((n) => n.startsWith('.tmp-')), [], 'no unpack leftovers');
  for (const l of image.layers) assert.ok(snapshots.includes(l.diffID.slice(7)), `layer ${l.diffID} unpacked`);
});
