import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { nodeCodecs as codecs, nodeHash as hash } from '../../host-linux/services.ts';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { LocalImage, writeImage } from '../../core/image/local-image.ts';
import { writeImageArchive } from '../../core/archive/image-archive-write.ts';
import { loadImageArchive } from '../../core/archive/image-archive-load.ts';
import { packTar, type TarInput } from '../../core/layer/tar-write.ts';
import { readTar } from '../../core/layer/tar-read.ts';
import { digestBytes } from '../../core/digest.ts';
import { BerthError } from '../../core/errors.ts';
import { MediaType } from '../../core/image/media-types.ts';
import type { Descriptor } from '../../core/image/types.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

function streamOf(b: Uint8Array, chunk = 1000): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({ pull(c) { if (off >= b.byteLength) c.close(); else { c.enqueue(b.slice(off, off + chunk)); off += chunk; } } });
}

async function bytesOf(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function layerTar(files: Record<string, string>): Promise<Uint8Array> {
  return packTar(Object.entries(files).map(([name, body]): TarInput => ({ header: { name, mode: 0o644 }, body })));
}

async function putBlob(blobs: MemoryBlobStore, bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  const digest = digestBytes(hash, bytes);
  await blobs.write({ digest, size: bytes.byteLength }, bytes);
  return { mediaType, digest, size: bytes.byteLength };
}

/** An image with one gzip layer and one uncompressed layer, in `blobs`. */
async function makeImage(blobs: MemoryBlobStore, seed: string) {
  const tarA = await layerTar({ 'etc/hostname': `host ${seed}\n`, 'bin/tool': 'x'.repeat(5000) });
  const tarB = await layerTar({ [`data/${seed}.txt`]: `hello ${seed}\n` });
  const gz = new Uint8Array(gzipSync(tarA));
  const layers = [await putBlob(blobs, gz, MediaType.OCILayerGzip), await putBlob(blobs, tarB, MediaType.OCILayer)];
  const diffIDs = [digestBytes(hash, tarA), digestBytes(hash, tarB)];
  const configBytes = enc.encode(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-05-01T12:00:00Z', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIDs },
  }));
  const config = await putBlob(blobs, configBytes, MediaType.OCIConfig);
  const manifest = await putBlob(blobs, enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCIManifest, config, layers })), MediaType.OCIManifest);
  return { manifest, config, diffIDs, tars: [tarA, tarB], image: await LocalImage.open(blobs, manifest, { codecs, hash }) };
}

async function entries(archive: Uint8Array): Promise<Map<string, { type: string; body: Uint8Array }>> {
  const out = new Map<string, { type: string; body: Uint8Array }>();
  for await (const e of readTar(streamOf(archive))) out.set(e.name, { type: e.type, body: await bytesOf(e.body) });
  return out;
}

test('local image reads back what is stored; writeImage copies it verified', async () => {
  const a = new MemoryBlobStore(hash);
  const img = await makeImage(a, 'one');
  assert.equal(await img.image.configName(), img.config.digest);
  assert.equal((await img.image.configFile()).os, 'linux');
  const layers = await img.image.layers();
  assert.equal(layers.length, 2);
  assert.equal(await layers[0]!.diffID(), img.diffIDs[0]);
  assert.deepEqual(await bytesOf(await layers[0]!.uncompressed()), img.tars[0]);
  assert.equal(await (await img.image.layerByDiffID(img.diffIDs[1]!)).digest(), await layers[1]!.digest());
  const b = new MemoryBlobStore(hash);
  const desc = await writeImage(b, img.image);
  assert.deepEqual(desc, { mediaType: MediaType.OCIManifest, digest: img.manifest.digest, size: img.manifest.size });
  const copied = [];
  for await (const x of b.list()) copied.push(x.digest);
  assert.equal(copied.length, 4);
});

test('save writes a docker-archive and an OCI layout in one tar, as Docker 25+', async () => {
  const blobs = new MemoryBlobStore(hash);
  const one = await makeImage(blobs, 'one');
  const archive = await bytesOf(writeImageArchive([
    { image: one.image, repoTags: ['busybox:latest', 'docker.io/library/busybox:1.0'] },
    { image: one.image, repoTags: ['example.com:5000/team/app'] },
  ], { codecs, hash }));
  const e = await entries(archive);
  const names = [...e.keys()];
  const blobNames = names.filter((n) => n.startsWith('blobs/sha256/') && n.length > 13);
  assert.deepEqual(names, ['blobs/', 'blobs/sha256/', ...[...blobNames].sort(), 'index.json', 'manifest.json', 'oci-layout', 'repositories']);
  // Layers are the uncompressed tars, named by diffID.
  for (const [i, d] of one.diffIDs.entries()) assert.deepEqual(e.get(`blobs/sha256/${d.slice(7)}`)!.body, one.tars[i]);
  assert.deepEqual(e.get(`blobs/sha256/${one.config.digest.slice(7)}`)!.body, await one.image.rawConfigFile());
  const manifestJson = JSON.parse(dec.decode(e.get('manifest.json')!.body));
  assert.deepEqual(manifestJson, [{
    Config: `blobs/sha256/${one.config.digest.slice(7)}`,
    RepoTags: ['busybox:latest', 'busybox:1.0', 'example.com:5000/team/app:latest'],
    Layers: one.diffIDs.map((d) => `blobs/sha256/${d.slice(7)}`),
  }]);
  assert.equal(dec.decode(e.get('oci-layout')!.body), '{"imageLayoutVersion": "1.0.0"}');
  assert.deepEqual(JSON.parse(dec.decode(e.get('repositories')!.body)), {
    busybox: { '1.0': one.diffIDs[1]!.slice(7), latest: one.diffIDs[1]!.slice(7) },
    'example.com:5000/team/app': { latest: one.diffIDs[1]!.slice(7) },
  });
  const index = JSON.parse(dec.decode(e.get('index.json')!.body));
  assert.equal(index.mediaType, MediaType.OCIIndex);
  assert.deepEqual(index.manifests.map((m: Descriptor) => m.annotations), [
    { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' },
    { 'io.containerd.image.name': 'docker.io/library/busybox:1.0', 'org.opencontainers.image.ref.name': '1.0' },
    { 'io.containerd.image.name': 'example.com:5000/team/app:latest', 'org.opencontainers.image.ref.name': 'latest' },
  ]);
  const m = index.manifests[0];
  const manifest = JSON.parse(dec.decode(e.get(`blobs/sha256/${m.digest.slice(7)}`)!.body));
  assert.equal(digestBytes(hash, e.get(`blobs/sha256/${m.digest.slice(7)}`)!.body), m.digest);
  assert.deepEqual(manifest.layers.map((l: Descriptor) => [l.mediaType, l.digest, l.size]),
    one.diffIDs.map((d, i) => [MediaType.OCILayer, d, one.tars[i]!.byteLength]));
  assert.deepEqual(manifest.config.platform, { architecture: 'amd64', os: 'linux' });
});

test('save then load round-trips images, tags and the manifest digest', async () => {
  const src = new MemoryBlobStore(hash);
  const one = await makeImage(src, 'one');
  const two = await makeImage(src, 'two');
  const archive = await bytesOf(writeImageArchive([
    { image: one.image, repoTags: ['one:latest'] }, { image: two.image, repoTags: [] },
  ], { codecs, hash }));
  const index = JSON.parse(dec.decode((await entries(archive)).get('index.json')!.body));
  const dst = new MemoryBlobStore(hash);
  const { images } = await loadImageArchive(streamOf(archive, 7777), dst, codecs, hash);
  assert.equal(images.length, 2);
  assert.deepEqual(images.map((i) => [i.config, i.repoTags]), [[one.config.digest, ['docker.io/library/one:latest']], [two.config.digest, []]]);
  assert.equal(images[0]!.manifest.digest, index.manifests[0].digest);
  const loaded = await LocalImage.open(dst, images[0]!.manifest, { codecs, hash });
  const layers = await loaded.layers();
  assert.deepEqual(await bytesOf(await layers[0]!.uncompressed()), one.tars[0]);
  assert.equal(images[0]!.layerSizes.get(one.diffIDs[0]!), one.tars[0]!.byteLength);
  // Loading the same archive gzip-compressed gives the same result.
  const again = await loadImageArchive(streamOf(new Uint8Array(gzipSync(archive))), new MemoryBlobStore(hash), codecs, hash);
  assert.deepEqual(again.images.map((i) => i.manifest.digest), images.map((i) => i.manifest.digest));
});

async function oldDockerArchive(opts: { gzipLayer?: boolean; dropLayer?: boolean; badConfig?: boolean; wrongDiffID?: boolean } = {}) {
  const tarA = await layerTar({ 'a.txt': 'A' });
  const tarB = await layerTar({ 'b.txt': 'B' });
  const diffIDs = [digestBytes(hash, tarA), digestBytes(hash, tarB), digestBytes(hash, tarA)];
  if (opts.wrongDiffID) diffIDs[1] = digestBytes(hash, enc.encode('nope'));
  const config = opts.badConfig ? enc.encode('{"architecture": "amd64", "os": ') : enc.encode(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIDs } }));
  const configName = `${digestBytes(hash, config).slice(7)}.json`;
  const layerA = opts.gzipLayer ? new Uint8Array(gzipSync(tarA)) : tarA;
  const files: TarInput[] = [
    { header: { name: 'aaaa/', type: 'directory' } },
    { header: { name: 'aaaa/VERSION' }, body: '1.0' },
    { header: { name: 'aaaa/json' }, body: '{}' },
    { header: { name: 'aaaa/layer.tar' }, body: layerA },
    ...(opts.dropLayer ? [] : [{ header: { name: 'bbbb/layer.tar' }, body: tarB }]),
    // Docker writes a repeated layer as a symlink to the first copy.
    { header: { name: 'cccc/layer.tar', type: 'symlink', linkname: '../aaaa/layer.tar' } },
    { header: { name: configName }, body: config },
    { header: { name: 'manifest.json' }, body: JSON.stringify([{ Config: configName, RepoTags: ['old:v1'], Layers: ['aaaa/layer.tar', 'bbbb/layer.tar', 'cccc/layer.tar'] }]) },
    { header: { name: 'repositories' }, body: '{"old":{"v1":"cccc"}}' },
  ];
  return { archive: await packTar(files), diffIDs, tarA, tarB };
}

test('loads the old docker-archive layout (<id>/layer.tar, symlinked layers) and gzipped layer files', async () => {
  const { archive, diffIDs } = await oldDockerArchive();
  const blobs = new MemoryBlobStore(hash);
  const { images } = await loadImageArchive(streamOf(archive), blobs, codecs, hash);
  assert.equal(images.length, 1);
  assert.deepEqual(images[0]!.repoTags, ['docker.io/library/old:v1']);
  const m = JSON.parse(dec.decode(await blobs.readBytes(images[0]!.manifest.digest)));
  assert.deepEqual(m.layers.map((l: Descriptor) => [l.mediaType, l.digest]), diffIDs.map((d) => [MediaType.OCILayer, d]));
  assert.equal(m.config.digest, images[0]!.config);
  // Legacy json/VERSION files are not stored.
  let n = 0;
  for await (const _ of blobs.list()) n++;
  assert.equal(n, 4); // two layers, config, synthesized manifest

  const gz = await oldDockerArchive({ gzipLayer: true });
  const b2 = new MemoryBlobStore(hash);
  const r2 = await loadImageArchive(streamOf(gz.archive), b2, codecs, hash);
  const m2 = JSON.parse(dec.decode(await b2.readBytes(r2.images[0]!.manifest.digest)));
  assert.equal(m2.layers[0].mediaType, MediaType.OCILayerGzip);
  assert.notEqual(m2.layers[0].digest, gz.diffIDs[0]);
  const img = await LocalImage.open(b2, r2.images[0]!.manifest, { codecs, hash });
  assert.deepEqual(await bytesOf(await (await img.layers())[0]!.uncompressed()), gz.tarA);
});

function isInvalid(re: RegExp) {
  return (e: unknown) => e instanceof BerthError && re.test(e.message);
}

test('malformed archives fail with a clear error', async () => {
  const load = (b: Uint8Array) => loadImageArchive(streamOf(b), new MemoryBlobStore(hash), codecs, hash);
  await assert.rejects(load((await oldDockerArchive({ dropLayer: true })).archive), isInvalid(/invalid archive: layer bbbb\/layer.tar listed in manifest.json is missing from the archive/));
  await assert.rejects(load((await oldDockerArchive({ badConfig: true })).archive), isInvalid(/invalid archive: [0-9a-f]{64}\.json: invalid image config/));
  await assert.rejects(load((await oldDockerArchive({ wrongDiffID: true })).archive), isInvalid(/layer bbbb\/layer.tar has diffID sha256:[0-9a-f]{64}, but the image config expects/));
  await assert.rejects(load(await packTar([{ header: { name: 'hello.txt' }, body: 'hi' }])), isInvalid(/neither manifest.json \(docker save\) nor index.json/));
  await assert.rejects(load(await packTar([{ header: { name: 'manifest.json' }, body: '[{"Config": ' }])), isInvalid(/manifest.json is not valid JSON/));
  await assert.rejects(load(await packTar([{ header: { name: 'manifest.json' }, body: '{"x":1}' }])), isInvalid(/manifest.json must be a JSON array/));
  const fake = `sha256:${'ab'.repeat(32)}`;
  await assert.rejects(load(await packTar([{ header: { name: `blobs/sha256/${'ab'.repeat(32)}` }, body: 'not it' }])),
    (e: unknown) => e instanceof BerthError && e.code === 'digest_mismatch' && e.message.includes(fake));
  await assert.rejects(load(enc.encode('this is not a tar archive at all, just text'.repeat(20))), isInvalid(/invalid archive/));
  await assert.rejects(load(new Uint8Array(0)), isInvalid(/invalid archive: the archive is empty/));
});

test('loads an OCI layout tar, choosing a platform from a nested index', async () => {
  const blobs = new MemoryBlobStore(hash);
  const one = await makeImage(blobs, 'one');
  const other = { mediaType: MediaType.OCIManifest, digest: digestBytes(hash, enc.encode('absent')), size: 6, platform: { os: 'linux', architecture: 'arm64' } };
  const idx = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCIIndex, manifests: [other, { ...one.manifest, platform: { os: 'linux', architecture: 'amd64' } }] }));
  const idxDigest = digestBytes(hash, idx);
  const files: TarInput[] = [{ header: { name: 'oci-layout' }, body: '{"imageLayoutVersion":"1.0.0"}' }];
  for await (const b of blobs.list()) files.push({ header: { name: `blobs/sha256/${b.digest.slice(7)}` }, body: await blobs.readBytes(b.digest) });
  files.push({ header: { name: `blobs/sha256/${idxDigest.slice(7)}` }, body: idx });
  files.push({ header: { name: 'index.json' }, body: JSON.stringify({ schemaVersion: 2, manifests: [
    { mediaType: MediaType.OCIIndex, digest: idxDigest, size: idx.byteLength, annotations: { 'org.opencontainers.image.ref.name': 'registry.local/multi:2' } },
    { ...one.manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
  ] }) });
  const dst = new MemoryBlobStore(hash);
  const { images } = await loadImageArchive(streamOf(await packTar(files)), dst, codecs, hash, { platform: { os: 'linux', architecture: 'amd64' } });
  assert.deepEqual(images.map((i) => [i.manifest.digest, i.config, i.repoTags, i.index?.digest]), [
    [one.manifest.digest, one.config.digest, ['registry.local/multi:2'], idxDigest],
    [one.manifest.digest, one.config.digest, [], undefined],
  ]);
  // An index whose only present manifest is for another platform is refused.
  await assert.rejects(loadImageArchive(streamOf(await packTar(files)), new MemoryBlobStore(hash), codecs, hash, { platform: { os: 'linux', architecture: 'arm64' } }),
    isInvalid(/has no image for the requested platform/));
});

test('save from the image store picks images and tags as docker save does', async () => {
  const { ImageStore } = await import('../../core/metadata/image-store.ts');
  const { MemoryMetadataStore } = await import('../../core/metadata/memory-kv.ts');
  const { buildImageRecord } = await import('../../core/metadata/image-record.ts');
  const { saveFromStore } = await import('../../core/archive/save-from-store.ts');
  const blobs = new MemoryBlobStore(hash);
  const store = new ImageStore(new MemoryMetadataStore(), blobs);
  const one = await makeImage(blobs, 'one');
  const two = await makeImage(blobs, 'two');
  await store.put(await buildImageRecord(blobs, { manifest: one.manifest, repoTags: ['app:1', 'app:latest', 'other:x'] }));
  await store.put(await buildImageRecord(blobs, { manifest: two.manifest, repoTags: ['app:2'] }));
  const manifestOf = async (names: string[]) => {
    const e = await entries(await bytesOf(await saveFromStore(store, names, codecs, hash)));
    return JSON.parse(dec.decode(e.get('manifest.json')!.body)).map((m: { Config: string; RepoTags: string[] | null }) => [m.Config.slice(13, 17), m.RepoTags])
      .sort((a: [string], b: [string]) => a[0].localeCompare(b[0]));
  };
  assert.deepEqual(await manifestOf(['app']), [[one.config.digest.slice(7, 11), ['app:1', 'app:latest']], [two.config.digest.slice(7, 11), ['app:2']]]
    .sort((a, b) => (a[0] as string).localeCompare(b[0] as string)));
  assert.deepEqual(await manifestOf(['other:x', one.config.digest]), [[one.config.digest.slice(7, 11), ['other:x']]]);
  assert.deepEqual(await manifestOf([two.config.digest.slice(7, 15)]), [[two.config.digest.slice(7, 11), null]]);
  await assert.rejects(saveFromStore(store, ['nothere'], codecs, hash), /No such image: nothere:latest/);
});
