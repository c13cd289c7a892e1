// remoteImage / remoteIndex and pushImage against our registry server: platform selection from
// an index, verified layers and diffIDs, and Docker's push statuses (Pushed, Layer already exists,
// Mounted from).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveRegistry, type Served } from '../../host-linux/registry/serve.ts';
import { RegistryClient } from '../../core/registry/client.ts';
import { remoteImage, remoteIndex, remote, RemoteImage } from '../../core/registry/remote-image.ts';
import { pushImage, type PushProgress } from '../../core/registry/push.ts';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { LocalImage, writeImage } from '../../core/image/local-image.ts';
import { nodeCodecs, nodeHash } from '../../host-linux/services.ts';
import { parseReference } from '../../core/reference/reference.ts';
import { shortId } from '../../core/digest.ts';
import { makeImage, makeIndex, sha256, type TestImage } from './registry-fixtures.ts';

const opts = { codecs: nodeCodecs, hash: nodeHash };

async function localImage(img: TestImage): Promise<LocalImage> {
  const store = new MemoryBlobStore(nodeHash);
  for (const b of [...img.layers, img.config]) await store.write({ digest: b.digest, size: b.size }, b.bytes);
  await store.write({ digest: img.manifestDigest }, img.manifest);
  return LocalImage.open(store, img.manifestDigest, opts);
}

describe('remote images and pushImage', () => {
  let root: string;
  let served: Served;
  let host: string;
  let client: RegistryClient;
  let amd: TestImage;
  let arm: TestImage;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-registry-'));
    served = await serveRegistry({ addr: '127.0.0.1:0', root });
    host = new URL(served.url).host;
    client = new RegistryClient({ fetch: globalThis.fetch, hash: nodeHash, scheme: () => 'http', timeoutMs: 5000 });
    amd = await makeImage([{ 'bin/sh': 'amd64 shell' }, { 'etc/os-release': 'ID=test\n' }]);
    arm = await makeImage([{ 'bin/sh': 'arm64 shell' }], { arch: 'arm64' });
  });
  after(async () => {
    await served?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('pushes an image with Docker push statuses, then finds it already there, then mounts it', async () => {
    const events: PushProgress[] = [];
    const image = await localImage(amd);
    const r = await pushImage(client, parseReference(`${host}/demo/app:v1`), image, { onProgress: (e) => events.push(e) });
    assert.deepEqual(r, { digest: amd.manifestDigest, size: amd.manifest.byteLength, mediaType: amd.mediaType, tag: 'v1' });
    const ids = amd.layers.map((l) => shortId(l.diffID)).reverse();
    assert.deepEqual(events.filter((e) => e.status === 'Preparing').map((e) => e.id), ids);
    assert.deepEqual(events.filter((e) => e.status === 'Pushed').map((e) => e.id).sort(), [...ids].sort());
    const lastPushing = events.filter((e) => e.status === 'Pushing' && e.id === ids[0]).pop();
    assert.deepEqual(lastPushing, { id: ids[0], status: 'Pushing', current: amd.layers[1]!.size, total: amd.layers[1]!.size });

    const again: PushProgress[] = [];
    await pushImage(client, parseReference(`${host}/demo/app:v2`), image, { onProgress: (e) => again.push(e) });
    assert.deepEqual(again.filter((e) => e.status !== 'Preparing').map((e) => e.status), ['Layer already exists', 'Layer already exists']);

    const mounted: PushProgress[] = [];
    await pushImage(client, parseReference(`${host}/team/copy:v1`), image, { mountFrom: ['demo/app'], chunkSize: 16, onProgress: (e) => mounted.push(e) });
    assert.deepEqual(mounted.filter((e) => e.status !== 'Preparing').map((e) => e.status), ['Mounted from demo/app', 'Mounted from demo/app']);
    assert.equal((await client.getManifest(parseReference(`${host}/team/copy:v1`))).digest, amd.manifestDigest);
  });

  it('pushes by digest when the reference has no tag', async () => {
    const r = await pushImage(client, parseReference(`${host}/demo/bydigest`), await localImage(arm));
    assert.equal(r.tag, undefined);
    assert.equal((await client.getManifest(parseReference(`${host}/demo/bydigest@${arm.manifestDigest}`))).digest, arm.manifestDigest);
  });

  it('resolves an index to the wanted platform and reads verified layers', async () => {
    await pushImage(client, parseReference(`${host}/multi/app:amd64`), await localImage(amd));
    await pushImage(client, parseReference(`${host}/multi/app:arm64`), await localImage(arm));
    const idx = makeIndex([
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    await client.putManifest(parseReference(`${host}/multi/app:latest`), idx.bytes, 'application/vnd.oci.image.index.v1+json');

    const progress: [string, number][] = [];
    const img = await remoteImage(client, parseReference(`${host}/multi/app:latest`), { os: 'linux', architecture: 'arm64' },
      { ...opts, onLayerProgress: (d, n) => progress.push([d, n]) });
    assert.equal(await img.digest(), arm.manifestDigest);
    assert.equal(img.pickedFrom?.digest, idx.digest);
    assert.equal((await img.configFile()).architecture, 'arm64');
    const [layer] = await img.layers();
    const tar = new Uint8Array(await new Response(await layer!.uncompressed()).arrayBuffer());
    assert.equal(sha256(tar), arm.layers[0]!.diffID);
    assert.deepEqual(progress.at(-1), [arm.layers[0]!.digest, arm.layers[0]!.size]);

    const index = await remoteIndex(client, parseReference(`${host}/multi/app`), opts);
    assert.equal(await index.digest(), idx.digest);
    assert.equal((await index.indexManifest()).manifests.length, 2);
    const amdImage = await index.image(amd.manifestDigest);
    assert.equal((await amdImage.configFile()).architecture, 'amd64');

    // Copy the remote image into a store: every blob verified on the way in.
    const store = new MemoryBlobStore(nodeHash);
    const desc = await writeImage(store, amdImage);
    assert.equal(desc.digest, amd.manifestDigest);
    for (const l of amd.layers) assert.ok(await store.info(l.digest));

    await assert.rejects(remoteImage(client, parseReference(`${host}/multi/app:latest`), { os: 'linux', architecture: 's390x' }, opts),
      /no matching manifest for linux\/s390x in the manifest list entries/);
    await assert.rejects(remoteIndex(client, parseReference(`${host}/multi/app:amd64`), opts), /is a single image, not an image index/);
    assert.ok((await remote(client, parseReference(`${host}/multi/app:amd64`), opts)) instanceof RemoteImage);
  });
});
