import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { HashFactory } from '../../core/host.ts';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { MemoryMetadataStore } from '../../core/metadata/memory-kv.ts';
import { ImageStore, type ImageRecord } from '../../core/metadata/image-store.ts';
import { removeImage } from '../../core/metadata/image-delete.ts';
import { digestBytes } from '../../core/digest.ts';
import { BerthError } from '../../core/errors.ts';
import { MediaType } from '../../core/image/media-types.ts';
import type { Descriptor } from '../../core/image/types.ts';

const hash: HashFactory = (alg) => { const h = createHash(alg); return { update: (d) => { h.update(d); }, digest: () => h.digest('hex') }; };
const enc = new TextEncoder();

async function put(blobs: MemoryBlobStore, bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  const digest = digestBytes(hash, bytes);
  await blobs.write({ digest, size: bytes.byteLength }, bytes);
  return { mediaType, digest, size: bytes.byteLength };
}

/** Writes a one-layer image (layer content, config, manifest) and returns its record, untagged. */
async function makeImage(blobs: MemoryBlobStore, seed: string, opts: { created?: string; parent?: string; sharedLayer?: Uint8Array } = {}): Promise<ImageRecord> {
  const layers = [await put(blobs, enc.encode(`layer ${seed}`), MediaType.OCILayer)];
  if (opts.sharedLayer) layers.unshift(await put(blobs, opts.sharedLayer, MediaType.OCILayer));
  const config = await put(blobs, enc.encode(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: opts.created ?? '2024-01-01T00:00:00Z',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, config: { Cmd: [seed] },
  })), MediaType.OCIConfig);
  const manifest = await put(blobs, enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCIManifest, config, layers })), MediaType.OCIManifest);
  const rec: ImageRecord = {
    id: config.digest, manifest, repoTags: [], repoDigests: [], created: opts.created ?? '2024-01-01T00:00:00Z',
    size: layers.reduce((n, l) => n + l.size, 0), platform: { architecture: 'amd64', os: 'linux' },
  };
  if (opts.parent) rec.parent = opts.parent;
  return rec;
}

function setup() {
  const blobs = new MemoryBlobStore(hash);
  const kv = new MemoryMetadataStore();
  let t = 0;
  const store = new ImageStore(kv, blobs, { now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, t++)) });
  return { blobs, kv, store };
}

async function blobDigests(blobs: MemoryBlobStore): Promise<Set<string>> {
  const s = new Set<string>();
  for await (const b of blobs.list()) s.add(b.digest);
  return s;
}

test('put normalizes references, moves tags, and the old image stays untagged', async () => {
  const { blobs, kv, store } = setup();
  const a = await makeImage(blobs, 'a');
  const b = await makeImage(blobs, 'b', { created: '2024-06-01T00:00:00Z' });
  const ra = await store.put({ ...a, repoTags: ['busybox', 'busybox:1.36'], repoDigests: [`busybox@${a.manifest.digest}`] });
  assert.deepEqual(ra.repoTags, ['docker.io/library/busybox:1.36', 'docker.io/library/busybox:latest']);
  assert.deepEqual(ra.repoDigests, [`docker.io/library/busybox@${a.manifest.digest}`]);
  await store.put({ ...b, repoTags: ['docker.io/library/busybox:latest'], repoDigests: [] });
  assert.deepEqual((await store.get(a.id))!.repoTags, ['docker.io/library/busybox:1.36']);
  assert.deepEqual((await store.get(b.id))!.repoTags, ['docker.io/library/busybox:latest']);
  assert.deepEqual((await store.list()).map((r) => r.id), [b.id, a.id]);
  // Persisted: a second store over the same kv sees the same state.
  const again = new ImageStore(kv, blobs);
  assert.deepEqual(await again.list(), await store.list());
  // A record whose blobs are not stored is refused (blobs first, metadata last).
  await assert.rejects(store.put({ ...a, id: `sha256:${'e'.repeat(64)}` }), /not in the content store/);
  await assert.rejects(store.put({ ...a, repoTags: [`busybox@${a.manifest.digest}`] }), /has a digest/);
});

test('resolve: reference with default tag, name@digest, full ID, unique prefix; ambiguity and misses', async () => {
  const { blobs, store } = setup();
  const images: ImageRecord[] = [];
  for (let i = 0; images.length < 2 || images[0]!.id[7] !== images[1]!.id[7]; i++) {
    // Find two images whose IDs share a first hex digit so a one-digit prefix is ambiguous.
    const img = await makeImage(blobs, `img${i}`);
    if (images.length < 2) images.push(img);
    else if (img.id[7] === images[0]!.id[7]) images[1] = img;
    else if (img.id[7] === images[1]!.id[7]) images[0] = img;
  }
  const [x, y] = images as [ImageRecord, ImageRecord];
  await store.put({ ...x, repoTags: ['127.0.0.1:5000/team/app:v1'], repoDigests: [`127.0.0.1:5000/team/app@${x.manifest.digest}`] });
  await store.put({ ...y, repoTags: ['app'], repoDigests: [] });
  assert.equal((await store.resolve('app')).id, y.id);
  assert.equal((await store.resolve('app:latest')).id, y.id);
  assert.equal((await store.resolve('docker.io/library/app')).id, y.id);
  assert.equal((await store.resolve('127.0.0.1:5000/team/app:v1')).id, x.id);
  assert.equal((await store.resolve(`127.0.0.1:5000/team/app@${x.manifest.digest}`)).id, x.id);
  assert.equal((await store.resolve(`127.0.0.1:5000/team/app:whatever@${x.manifest.digest}`)).id, x.id);
  assert.equal((await store.resolve(x.id)).id, x.id);
  assert.equal((await store.resolve(x.id.slice(7))).id, x.id);
  assert.equal((await store.resolve(x.id.slice(7, 19))).id, x.id);
  assert.equal((await store.resolve(`sha256:${x.id.slice(7, 12)}`)).id, x.id);
  await assert.rejects(store.resolve(x.id.slice(7, 8)), (e: unknown) => e instanceof BerthError && /ambiguous/.test(e.message));
  await assert.rejects(store.resolve('nothere'), (e: unknown) => e instanceof BerthError && e.code === 'not_found' && e.message === 'No such image: nothere:latest');
  await assert.rejects(store.resolve('127.0.0.1:5000/team/app'), /No such image: 127.0.0.1:5000\/team\/app:latest/);
  await assert.rejects(store.resolve(`sha256:${'f'.repeat(64)}`), /No such image: sha256:f{64}/);
  await assert.rejects(store.resolve('Upper'), /repository name \(library\/Upper\) must be lowercase|must be lowercase/);
});

test('a name is looked up before an ID prefix', async () => {
  const { blobs, store } = setup();
  const a = await makeImage(blobs, 'a');
  const b = await makeImage(blobs, 'b');
  const prefix = b.id.slice(7, 11);
  await store.put({ ...a, repoTags: [prefix], repoDigests: [] });
  await store.put({ ...b, repoTags: ['other'], repoDigests: [] });
  assert.equal((await store.resolve(prefix)).id, a.id);
});

test('tag, untag, lastTagTime, and refusing digest tags', async () => {
  const { blobs, store } = setup();
  const a = await makeImage(blobs, 'a');
  await store.put({ ...a, repoTags: [], repoDigests: [] });
  const t = await store.tag(a.id, 'myrepo');
  assert.deepEqual(t.repoTags, ['docker.io/library/myrepo:latest']);
  assert.equal(t.lastTagTime, '2025-01-01T00:00:00.000Z');
  await assert.rejects(store.tag(a.id, `x@${a.manifest.digest}`), /refusing to create a tag with a digest reference/);
  await assert.rejects(store.tag(`sha256:${'0'.repeat(64)}`, 'x'), /No such image/);
  assert.equal(await store.untag('myrepo:latest'), a.id);
  assert.equal(await store.untag('myrepo:latest'), undefined);
  assert.deepEqual((await store.get(a.id))!.repoTags, []);
});

test('gc removes exactly the blobs no record reaches, including through nested indexes', async () => {
  const { blobs, store } = setup();
  const shared = enc.encode('shared base layer');
  const a = await makeImage(blobs, 'a', { sharedLayer: shared });
  const b = await makeImage(blobs, 'b', { sharedLayer: shared });
  const c = await makeImage(blobs, 'c');
  // c is reached only through an index inside an index.
  const inner = await put(blobs, enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCIIndex, manifests: [c.manifest] })), MediaType.OCIIndex);
  const outer = await put(blobs, enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCIIndex, manifests: [inner] })), MediaType.OCIIndex);
  const stray = await put(blobs, enc.encode('nobody references me'), MediaType.OCILayer);
  await store.put({ ...a, repoTags: ['a'], repoDigests: [] });
  await store.put({ ...b, repoTags: ['b'], repoDigests: [] });
  // The record for the index names a manifest we pretend is elsewhere: mark c via the index only.
  await store.put({ ...a, index: outer, repoTags: [], repoDigests: [] });
  const before = await blobDigests(blobs);
  const { removed } = await store.gc();
  assert.deepEqual(removed.map((r) => r.digest).sort(), [stray.digest]);
  const after = await blobDigests(blobs);
  assert.equal(after.size, before.size - 1);
  for (const d of [c.id, c.manifest.digest, inner.digest, outer.digest]) assert.ok(after.has(d), d);

  await removeImage(store, 'b');
  const { removed: second } = await store.gc();
  // b's own layer, config and manifest go; the shared layer stays for a.
  assert.equal(second.length, 3);
  assert.ok((await blobDigests(blobs)).has(digestBytes(hash, shared)));
  assert.ok(!(await blobDigests(blobs)).has(b.manifest.digest));
});

test('gc waits for open leases so blobs of an image being written are not collected', async () => {
  const { blobs, store } = setup();
  const lease = await store.lease();
  const a = await makeImage(blobs, 'a');
  let done = false;
  const gc = store.gc().then((r) => { done = true; return r; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false);
  await store.put({ ...a, repoTags: ['a'], repoDigests: [] });
  lease.release();
  assert.deepEqual((await gc).removed, []);
  assert.ok((await blobDigests(blobs)).has(a.manifest.digest));
});

test('abandon removes what a failed operation brought in, and keeps what was there or is recorded', async () => {
  const { blobs, store } = setup();
  const kept = await makeImage(blobs, 'kept');
  await store.put({ ...kept, repoTags: ['kept'], repoDigests: [] });
  const stray = await put(blobs, enc.encode('unreferenced before the operation'), MediaType.OCILayer);
  const lease = await store.lease({ undoable: true });
  const shared = enc.encode('layer kept');
  const failed = await makeImage(blobs, 'failed', { sharedLayer: shared });
  await lease.abandon();
  const now = await blobDigests(blobs);
  for (const d of [kept.id, kept.manifest.digest, digestBytes(hash, shared), stray.digest]) assert.ok(now.has(d), d);
  assert.ok(!now.has(failed.id) && !now.has(failed.manifest.digest));
  assert.equal(now.size, 4);
});

test('abandon waits for the other open leases: a blob a concurrent operation records stays', async () => {
  const { blobs, store } = setup();
  const other = await store.lease();
  const lease = await store.lease({ undoable: true });
  const layer = enc.encode('layer both');
  const failed = await makeImage(blobs, 'failed', { sharedLayer: layer });
  const ok = await makeImage(blobs, 'ok', { sharedLayer: layer });
  await lease.abandon();
  // Nothing goes while the other operation is open: it may be about to use any of these blobs.
  assert.ok((await blobDigests(blobs)).has(failed.id));
  await store.put({ ...ok, repoTags: ['ok'], repoDigests: [] });
  other.release();
  await store.lease().then((l) => l.release()); // waits for the sweep the release started
  const now = await blobDigests(blobs);
  assert.ok(now.has(digestBytes(hash, layer)) && now.has(ok.id) && now.has(ok.manifest.digest));
  assert.ok(!now.has(failed.id) && !now.has(failed.manifest.digest));
  assert.ok(!now.has(digestBytes(hash, enc.encode('layer failed'))));
});

test('rmi by tag untags while other tags remain, then deletes with the last one', async () => {
  const { blobs, store } = setup();
  const a = await makeImage(blobs, 'a');
  await store.put({ ...a, repoTags: ['busybox:latest', 'busybox:1.36'], repoDigests: [`busybox@${a.manifest.digest}`] });
  assert.deepEqual(await removeImage(store, 'busybox'), [{ Untagged: 'busybox:latest' }]);
  assert.deepEqual(await removeImage(store, 'busybox:1.36'), [
    { Untagged: 'busybox:1.36' }, { Untagged: `busybox@${a.manifest.digest}` }, { Deleted: a.id },
  ]);
  assert.equal(await store.get(a.id), undefined);
  await assert.rejects(removeImage(store, 'busybox:1.36'), /No such image: busybox:1.36/);
});

test('rmi by ID: single repository deletes; multiple repositories need force', async () => {
  const { blobs, store } = setup();
  const a = await makeImage(blobs, 'a');
  await store.put({ ...a, repoTags: ['one:latest'], repoDigests: [`one@${a.manifest.digest}`] });
  assert.deepEqual(await removeImage(store, a.id.slice(7, 19)), [
    { Untagged: 'one:latest' }, { Untagged: `one@${a.manifest.digest}` }, { Deleted: a.id },
  ]);
  const b = await makeImage(blobs, 'b');
  await store.put({ ...b, repoTags: ['one:latest', 'two:latest', 'one:v2'], repoDigests: [] });
  await assert.rejects(removeImage(store, b.id.slice(7, 19)), (e: unknown) => e instanceof BerthError && e.code === 'conflict' &&
    e.message === `conflict: unable to delete ${b.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
  assert.deepEqual((await store.get(b.id))!.repoTags.length, 3);
  assert.deepEqual(await removeImage(store, b.id, { force: true }), [
    { Untagged: 'one:latest' }, { Untagged: 'one:v2' }, { Untagged: 'two:latest' }, { Deleted: b.id },
  ]);
  // An untagged (dangling) image is deleted by ID.
  const c = await makeImage(blobs, 'c');
  await store.put(c);
  assert.deepEqual(await removeImage(store, c.id), [{ Deleted: c.id }]);
});

test('rmi honours containers (inUse) and child images, and prunes untagged parents', async () => {
  const { blobs, store } = setup();
  const base = await makeImage(blobs, 'base');
  await store.put(base);
  const child = await makeImage(blobs, 'child', { parent: base.id });
  await store.put({ ...child, repoTags: ['child'], repoDigests: [] });
  await assert.rejects(removeImage(store, base.id), new RegExp(`unable to delete ${base.id.slice(7, 19)} \\(cannot be forced\\) - image has dependent child images`));
  const used = (id: string) => (id === child.id ? { running: false, containerId: 'c0ffee'.repeat(10) } : undefined);
  await assert.rejects(removeImage(store, 'child', { inUse: used }),
    /conflict: unable to remove repository reference "child" \(must force\) - container c0ffeec0ffee is using its referenced image/);
  await assert.rejects(removeImage(store, child.id, { inUse: () => ({ running: true, containerId: 'ab'.repeat(32) }) }),
    /\(cannot be forced\) - image is being used by running container abababababab/);
  const events: string[] = [];
  assert.deepEqual(await removeImage(store, 'child', { onEvent: (a, id) => events.push(`${a} ${id}`) }), [
    { Untagged: 'child:latest' }, { Deleted: child.id }, { Deleted: base.id },
  ]);
  assert.deepEqual(events, [`untag ${child.id}`, `delete ${child.id}`, `delete ${base.id}`]);
  assert.deepEqual(await store.list(), []);
});

test('rmi with noprune keeps the untagged parent', async () => {
  const { blobs, store } = setup();
  const base = await makeImage(blobs, 'base');
  await store.put(base);
  const child = await makeImage(blobs, 'child', { parent: base.id });
  await store.put({ ...child, repoTags: ['child'], repoDigests: [] });
  assert.deepEqual(await removeImage(store, 'child', { noprune: true }), [{ Untagged: 'child:latest' }, { Deleted: child.id }]);
  assert.ok(await store.get(base.id));
});

test('image prune removes dangling images (or all unused with all) and reclaims their blobs', async () => {
  const { pruneImages } = await import('../../core/metadata/image-prune.ts');
  const { blobs, store } = setup();
  const tagged = await makeImage(blobs, 'tagged');
  const dangling = await makeImage(blobs, 'dangling');
  const used = await makeImage(blobs, 'used');
  await store.put({ ...tagged, repoTags: ['keep:1'], repoDigests: [`keep@${tagged.manifest.digest}`] });
  await store.put(dangling);
  await store.put({ ...used, repoTags: ['used:1'], repoDigests: [] });
  const configSize = (await blobs.info(dangling.id))!.size;
  const r1 = await pruneImages(store);
  assert.deepEqual(r1.ImagesDeleted, [{ Deleted: dangling.id }]);
  // Its manifest, config and layer go; nothing else.
  assert.equal(r1.SpaceReclaimed, dangling.manifest.size + configSize + dangling.size);
  assert.ok(!(await blobDigests(blobs)).has(dangling.manifest.digest));
  const inUse = (id: string) => (id === used.id ? { running: true, containerId: 'f'.repeat(64) } : undefined);
  const r2 = await pruneImages(store, { all: true, inUse });
  assert.deepEqual(r2.ImagesDeleted, [{ Untagged: 'keep:1' }, { Untagged: `keep@${tagged.manifest.digest}` }, { Deleted: tagged.id }]);
  assert.deepEqual((await store.list()).map((r) => r.id), [used.id]);
  assert.ok(r2.SpaceReclaimed > 0);
});
