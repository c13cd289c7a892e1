// `docker image prune` on the image store: moby's rule that an image is dangling when it has no
// tag, whatever digest references it keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { HashFactory } from '../../core/host.ts';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { MemoryMetadataStore } from '../../core/metadata/memory-kv.ts';
import { ImageStore, type ImageRecord } from '../../core/metadata/image-store.ts';
import { pruneImages } from '../../core/metadata/image-prune.ts';
import { digestBytes } from '../../core/digest.ts';
import { MediaType } from '../../core/image/media-types.ts';

const hash: HashFactory = (alg) => { const h = createHash(alg); return { update: (d) => { h.update(d); }, digest: () => h.digest('hex') }; };
const enc = new TextEncoder();

async function image(store: ImageStore, seed: string, refs: { repoTags?: string[]; repoDigests?: (manifest: string) => string[]; parent?: string } = {}): Promise<ImageRecord> {
  const put = async (doc: unknown, mediaType: string) => {
    const bytes = enc.encode(typeof doc === 'string' ? doc : JSON.stringify(doc));
    const digest = digestBytes(hash, bytes);
    await store.blobs.write({ digest, size: bytes.byteLength }, bytes);
    return { mediaType, digest, size: bytes.byteLength };
  };
  const layer = await put(`layer ${seed}`, MediaType.OCILayer);
  const config = await put({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: { Cmd: [seed] } }, MediaType.OCIConfig);
  const manifest = await put({ schemaVersion: 2, mediaType: MediaType.OCIManifest, config, layers: [layer] }, MediaType.OCIManifest);
  return store.put({
    id: config.digest, manifest, repoTags: refs.repoTags ?? [], repoDigests: refs.repoDigests?.(manifest.digest) ?? [],
    created: '2024-01-01T00:00:00Z', size: layer.size, platform: { architecture: 'amd64', os: 'linux' },
    ...(refs.parent ? { parent: refs.parent } : {}),
  });
}

function newStore(): ImageStore {
  return new ImageStore(new MemoryMetadataStore(), new MemoryBlobStore(hash));
}

test('an image with a digest reference but no tag is dangling and is pruned reference by reference', async () => {
  const store = newStore();
  const tagged = await image(store, 'tagged', { repoTags: ['keep:1'], repoDigests: (m) => [`keep@${m}`] });
  const digestOnly = await image(store, 'digest-only', { repoDigests: (m) => [`gone@${m}`] });
  const r = await pruneImages(store);
  assert.deepEqual(r.ImagesDeleted, [{ Untagged: `gone@${digestOnly.manifest.digest}` }, { Deleted: digestOnly.id }]);
  assert.deepEqual((await store.list()).map((x) => x.id), [tagged.id]);
  // Its manifest, config and layer blobs went with it.
  assert.equal(await store.blobs.info(digestOnly.manifest.digest), undefined);
  assert.ok(r.SpaceReclaimed > digestOnly.size);
});

test('dangling images are taken among leaves; untagged parents follow, tagged parents stay', async () => {
  const store = newStore();
  const base = await image(store, 'base', { repoTags: ['base:1'] });
  const middle = await image(store, 'middle', { parent: base.id });
  const leaf = await image(store, 'leaf', { parent: middle.id });
  const r = await pruneImages(store);
  assert.deepEqual(r.ImagesDeleted, [{ Deleted: leaf.id }, { Deleted: middle.id }]);
  assert.deepEqual((await store.list()).map((x) => x.id), [base.id]);
});

test('all removes tagged parents too, skips images in use, and honours filter and collect', async () => {
  const store = newStore();
  const base = await image(store, 'base', { repoTags: ['base:1'] });
  const child = await image(store, 'child', { repoTags: ['child:1'], parent: base.id });
  const used = await image(store, 'used', { repoTags: ['used:1'] });
  const labelled = await image(store, 'labelled', { repoTags: ['labelled:1'] });
  const events: string[] = [];
  let collected = 0;
  const r = await pruneImages(store, {
    all: true,
    inUse: (id) => (id === used.id ? { running: false, containerId: 'c'.repeat(64) } : undefined),
    filter: async (rec) => rec.id !== labelled.id,
    onEvent: (action, id) => events.push(`${action} ${id}`),
    collect: async () => { collected++; return 42; },
  });
  assert.equal(r.SpaceReclaimed, 42);
  assert.equal(collected, 1);
  const deleted = r.ImagesDeleted.filter((i) => 'Deleted' in i).map((i) => (i as { Deleted: string }).Deleted).sort();
  assert.deepEqual(deleted, [base.id, child.id].sort());
  assert.deepEqual((await store.list()).map((x) => x.id).sort(), [used.id, labelled.id].sort());
  assert.ok(events.includes(`delete ${base.id}`) && events.includes(`delete ${child.id}`));
});
