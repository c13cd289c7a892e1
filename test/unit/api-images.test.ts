// The image endpoints over an engine on in-memory stores: what /images/* answer, without a daemon.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { MemoryMetadataStore } from '../../core/metadata/memory-kv.ts';
import { ImageStore } from '../../core/metadata/image-store.ts';
import { ImageService } from '../../core/engine/image-service.ts';
import { Engine } from '../../core/engine/engine.ts';
import { EventBus } from '../../core/engine/events.ts';
import { RegistryConfig } from '../../core/config/registry-config.ts';
import { createApi } from '../../core/api/api.ts';
import { MemorySnapshotter } from '../helpers/memory-snapshotter.ts';
import type { Router } from '../../core/api/router.ts';
import { nodeCodecs, nodeHash } from '../../host-linux/services.ts';
import { buildTestImage, type BuiltImage } from '../helpers/test-image.ts';

let api: Router;
let events: EventBus;
let snapshotter: MemorySnapshotter;
let a: BuiltImage;
let b: BuiltImage;
const archives = new Map<string, Uint8Array>();

async function call(method: string, path: string, body?: BodyInit): Promise<{ status: number; json: any; text: string }> {
  const res = await api.handle(new Request(`http://berth${path}`, { method, ...(body ? { body, duplex: 'half' } as RequestInit : {}) }));
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { /* a stream or empty */ }
  return { status: res.status, json, text };
}

before(async () => {
  const blobs = new MemoryBlobStore(nodeHash);
  const store = new ImageStore(new MemoryMetadataStore(), blobs);
  events = new EventBus();
  snapshotter = new MemorySnapshotter();
  const images = new ImageService({
    store, blobs, snapshotter, hash: nodeHash, codecs: nodeCodecs, events, registry: new RegistryConfig(),
    fetch: async () => { throw new Error('no network in unit tests'); }, hostPlatform: { os: 'linux', architecture: 'amd64' },
  });
  const engine = new Engine({
    id: 'test', version: '0.0.0', dataRoot: '/data', execRoot: '/exec', debug: false, registry: new RegistryConfig(), events, images,
    host: async () => ({ hostname: 'h', kernelVersion: '6.1', operatingSystem: 'Test OS', osVersion: '1', osType: 'linux', architecture: 'x86_64', ncpu: 4, memTotal: 8e9 }),
  });
  api = createApi(engine);
  a = await buildTestImage({ layers: [{ files: { 'a.txt': 'a' } }, { files: { 'shared.txt': 'both' } }], labels: { tier: 'web' }, created: '2024-01-01T00:00:00Z' });
  b = await buildTestImage({ layers: [{ files: { 'b.txt': 'b' } }], format: 'oci', created: '2024-02-01T00:00:00Z' });
  // Get them in the way a user would without a registry: a docker-archive through /images/load.
  const { packTar } = await import('modern-tar');
  for (const [img, tag] of [[a, 'example.com/a:1'], [b, 'example.com/b:1']] as const) {
    const manifest = new TextEncoder().encode(JSON.stringify([{ Config: `blobs/sha256/${img.configDigest.slice(7)}`, RepoTags: [tag], Layers: img.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) }]));
    const tar = await packTar([
      { header: { name: 'manifest.json', size: manifest.byteLength }, body: manifest },
      { header: { name: `blobs/sha256/${img.configDigest.slice(7)}`, size: img.config.byteLength }, body: img.config },
      ...img.layers.map((l) => ({ header: { name: `blobs/sha256/${l.digest.slice(7)}`, size: l.data.byteLength }, body: l.data })),
    ]);
    archives.set(tag, tar);
    const r = await call('POST', '/v1.47/images/load?quiet=1', new Blob([tar]));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, `{"stream":"Loaded image: ${tag}\\n"}\r\n`);
  }
});

describe('image endpoints', () => {
  test('GET /images/json lists summaries; filters narrow them', async () => {
    const all = await call('GET', '/v1.47/images/json');
    assert.equal(all.status, 200);
    assert.deepEqual(all.json.map((i: any) => i.RepoTags[0]), ['example.com/b:1', 'example.com/a:1']);
    const first = all.json[1];
    assert.equal(first.Id, a.configDigest);
    assert.equal(first.Created, Date.parse('2024-01-01T00:00:00Z') / 1000);
    assert.deepEqual(first.Labels, { tier: 'web' });
    assert.equal(first.Containers, -1);
    assert.ok(!('VirtualSize' in first));
    assert.ok('VirtualSize' in (await call('GET', '/v1.43/images/json')).json[0]);
    const q = (f: object) => call('GET', `/images/json?filters=${encodeURIComponent(JSON.stringify(f))}`);
    assert.deepEqual((await q({ label: { 'tier=web': true } })).json.map((i: any) => i.Id), [a.configDigest]);
    assert.deepEqual((await q({ reference: ['example.com/b'] })).json.map((i: any) => i.Id), [b.configDigest]);
    assert.deepEqual((await q({ since: ['example.com/a:1'] })).json.map((i: any) => i.Id), [b.configDigest]);
    assert.deepEqual((await q({ dangling: ['true'] })).json, []);
    const bad = await q({ bogus: ['x'] });
    assert.deepEqual([bad.status, bad.json], [400, { message: "invalid filter 'bogus'" }]);
    // moby prints the values as Go prints a list.
    const maybe = await q({ dangling: ['maybe'] });
    assert.deepEqual([maybe.status, maybe.json], [400, { message: "invalid filter 'dangling=[maybe]'" }]);
    const prune = await call('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ['maybe'] }))}`);
    assert.deepEqual([prune.status, prune.json], [400, { message: "invalid filter 'dangling=[maybe]'" }]);
  });

  test('GET /images/{name}/json and /history', async () => {
    const r = await call('GET', '/v1.47/images/example.com/a:1/json');
    assert.equal(r.status, 200);
    assert.equal(r.json.Id, a.configDigest);
    assert.deepEqual(r.json.RepoTags, ['example.com/a:1']);
    assert.deepEqual(r.json.RootFS.Layers, a.layers.map((l) => l.diffID));
    assert.equal(r.json.Created, '2024-01-01T00:00:00Z');
    assert.equal(r.json.Size, [...snapshotter.layers.values()].filter((s) => a.layers.some((l) => l.diffID === s.diffID)).reduce((n, s) => n + s.size, 0));
    const byPrefix = await call('GET', `/images/${a.configDigest.slice(7, 19)}/json`);
    assert.equal(byPrefix.json.Id, a.configDigest);
    const missing = await call('GET', '/images/nosuch/json');
    assert.deepEqual([missing.status, missing.json], [404, { message: 'No such image: nosuch:latest' }]);
    const upper = await call('GET', '/images/Upper/json');
    assert.equal(upper.status, 404);
    assert.match(upper.json.message, /^no such image: Upper: invalid reference format/);
    const h = await call('GET', '/images/example.com/a:1/history');
    assert.deepEqual(h.json.map((e: any) => [e.Id, e.CreatedBy]), [[a.configDigest, '/bin/sh -c #(nop) ADD layer 1'], ['<missing>', '/bin/sh -c #(nop) ADD layer 0']]);
    assert.deepEqual(h.json[0].Tags, ['example.com/a:1']);
  });

  test('POST /images/{name}/tag, DELETE /images/{name}, events', async () => {
    const seen: string[] = [];
    const off = events.subscribe((e) => seen.push(`${e.Action} ${e.Actor.Attributes.name}`));
    try {
      assert.equal((await call('POST', '/images/example.com/a:1/tag?repo=example.com/a&tag=2')).status, 201);
      assert.equal((await call('POST', '/images/example.com/a:1/tag?repo=other')).status, 201);
      const bad = await call('POST', '/images/example.com/a:1/tag?repo=x@sha256:' + 'a'.repeat(64));
      assert.equal(bad.status, 400);
      const conflict = await call('DELETE', `/images/${a.configDigest}`);
      assert.equal(conflict.status, 409);
      assert.match(conflict.json.message, /must be forced/);
      const untag = await call('DELETE', '/images/other:latest');
      assert.deepEqual(untag.json, [{ Untagged: 'other:latest' }]);
      const del = await call('DELETE', `/images/${a.configDigest}?force=1`);
      assert.equal(del.status, 200);
      assert.deepEqual(del.json.filter((x: any) => 'Deleted' in x), [{ Deleted: a.configDigest }]);
      assert.ok(!snapshotter.layers.has(a.layers[0]!.diffID), 'unused layers are removed with the image');
      assert.deepEqual(seen.slice(0, 2), ['tag example.com/a:2', 'tag other:latest']);
      assert.ok(seen.includes(`delete ${a.configDigest}`));
    } finally {
      off();
    }
  });

  test('POST /images/prune and GET /system/df', async () => {
    const df = await call('GET', '/system/df');
    assert.equal(df.json.Images.length, 1);
    assert.equal(df.json.LayersSize, [...snapshotter.layers.values()].reduce((n, s) => n + s.size, 0));
    const none = await call('POST', '/images/prune');
    assert.deepEqual(none.json, { ImagesDeleted: null, SpaceReclaimed: 0 });
    const all = await call('POST', `/images/prune?filters=${encodeURIComponent('{"dangling":["false"]}')}`);
    assert.equal(all.status, 200);
    assert.ok(all.json.ImagesDeleted.some((x: any) => x.Deleted === b.configDigest));
    assert.ok(all.json.SpaceReclaimed > 0);
    assert.deepEqual((await call('GET', '/images/json')).json, []);
    assert.equal(snapshotter.layers.size, 0);
  });

  test('POST /images/load without quiet reports each layer', async () => {
    const r = await call('POST', '/images/load', new Blob([new Uint8Array(archives.get('example.com/b:1')!)]));
    assert.equal(r.status, 200);
    const msgs = r.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(msgs.some((m) => m.status === 'Loading layer' && m.progressDetail.total > 0), r.text);
    assert.deepEqual(msgs[msgs.length - 1], { stream: 'Loaded image: example.com/b:1\n' });
    const bad = await call('POST', '/images/load', new Blob(['not a tar']));
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /invalid archive/);
    assert.equal((await call('DELETE', '/images/example.com/b:1')).status, 200);
  });

  test('/info counts and reports the host', async () => {
    const r = await call('GET', '/info');
    assert.equal(r.json.Images, 0);
    assert.equal(r.json.NCPU, 4);
    assert.equal(r.json.OperatingSystem, 'Test OS');
    assert.equal(r.json.DockerRootDir, '/data');
  });
});
