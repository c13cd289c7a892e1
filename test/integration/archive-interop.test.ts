// save/load against real tools: skopeo reads our archives and writes ones we load; the real dockerd
// loads and runs what we save, and what it saves loads into berth; the built-in OCI layout loads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, mkdir, symlink, copyFile, access } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { nodeCodecs as codecs, nodeHash as hash } from '../../host-linux/services.ts';
import { FsBlobStore } from '../../host-linux/content/fs-blob-store.ts';
import { FsMetadataStore } from '../../host-linux/metadata/fs-kv.ts';
import { loadOciLayoutDir } from '../../host-linux/archive/oci-layout-dir.ts';
import { ImageStore, type ImageRecord } from '../../core/metadata/image-store.ts';
import { buildImageRecord } from '../../core/metadata/image-record.ts';
import { LocalImage } from '../../core/image/local-image.ts';
import { writeImageArchive } from '../../core/archive/image-archive-write.ts';
import { loadArchiveIntoStore } from '../../core/archive/load-into-store.ts';
import { digestBytes } from '../../core/digest.ts';
import { MediaType } from '../../core/image/media-types.ts';

const run = promisify(execFile);
const enc = new TextEncoder();
let dir: string;
let store: ImageStore;
let base: ImageRecord;
let ours: string;

async function fresh(name: string): Promise<ImageStore> {
  const root = join(dir, name);
  return new ImageStore(await FsMetadataStore.open(join(root, 'meta')), await FsBlobStore.open(join(root, 'content'), hash));
}

function fileStream(path: string): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
}

async function blobSet(s: ImageStore): Promise<string[]> {
  const out: string[] = [];
  for await (const b of s.blobs.list()) out.push(b.digest);
  return out.sort();
}

async function diffIDsOf(s: ImageStore, rec: ImageRecord): Promise<string[]> {
  return (await (await LocalImage.open(s.blobs, rec.manifest, { codecs, hash })).configFile()).rootfs.diff_ids;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-archive-'));
  store = await fresh('main');
  // A runnable image: busybox (gzip layer) plus a small uncompressed layer.
  const rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await copyFile('/bin/busybox', join(rootfs, 'bin/busybox'));
  await symlink('busybox', join(rootfs, 'bin/sh'));
  await symlink('busybox', join(rootfs, 'bin/cat'));
  const tarA = new Uint8Array((await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 1 << 28 })).stdout);
  await mkdir(join(dir, 'r2/etc'), { recursive: true });
  await writeFile(join(dir, 'r2/etc/motd'), 'hello from berth\n');
  const tarB = new Uint8Array((await run('tar', ['--numeric-owner', '-C', join(dir, 'r2'), '-cf', '-', '.'], { encoding: 'buffer' })).stdout);
  const put = async (b: Uint8Array, mediaType: string) => {
    const digest = digestBytes(hash, b);
    await store.blobs.write({ digest, size: b.byteLength }, b);
    return { mediaType, digest, size: b.byteLength };
  };
  const layers = [await put(new Uint8Array(gzipSync(tarA)), MediaType.OCILayerGzip), await put(tarB, MediaType.OCILayer)];
  const config = await put(enc.encode(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-05-01T12:00:00Z', config: { Cmd: ['/bin/cat', '/etc/motd'] },
    rootfs: { type: 'layers', diff_ids: [digestBytes(hash, tarA), digestBytes(hash, tarB)] },
  })), MediaType.OCIConfig);
  const manifest = await put(enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCIManifest, config, layers })), MediaType.OCIManifest);
  base = await store.put(await buildImageRecord(store.blobs, { manifest, repoTags: ['berthtest:v1'] }));
  ours = join(dir, 'ours.tar');
  const image = await LocalImage.open(store.blobs, base.manifest, { codecs, hash });
  await writeImageArchive([{ image, repoTags: base.repoTags }], { codecs, hash }).pipeTo(Writable.toWeb(createWriteStream(ours)));
});

after(async () => { await rm(dir, { recursive: true, force: true }); });

test('skopeo reads our archive, and what skopeo writes loads into berth', async () => {
  const oci = join(dir, 'skopeo-oci');
  await run('skopeo', ['copy', '--quiet', `docker-archive:${ours}:berthtest:v1`, `oci:${oci}:x`]);
  const back = join(dir, 'skopeo.tar');
  await run('skopeo', ['copy', '--quiet', `oci:${oci}:x`, `docker-archive:${back}:skopeo/img:t`]);
  const s = await fresh('from-skopeo');
  const { images, messages } = await loadArchiveIntoStore(s, fileStream(back), codecs, hash);
  assert.deepEqual(messages, ['Loaded image: skopeo/img:t']);
  assert.deepEqual(images[0]!.repoTags, ['docker.io/skopeo/img:t']);
  assert.deepEqual(await diffIDsOf(s, images[0]!), await diffIDsOf(store, base));
  // Every layer reads back and unpacks to its diffID.
  const img = await LocalImage.open(s.blobs, images[0]!.manifest, { codecs, hash });
  for (const l of await img.layers()) await (await l.uncompressed()).pipeTo(new WritableStream());
  // The OCI layout skopeo wrote loads from its directory too.
  const s2 = await fresh('from-skopeo-dir');
  const fromDir = await loadOciLayoutDir(oci, s2.blobs, codecs, hash);
  assert.equal(fromDir.images.length, 1);
  assert.deepEqual((await LocalImage.open(s2.blobs, fromDir.images[0]!.manifest, { codecs, hash }).then((i) => i.configFile())).rootfs.diff_ids,
    await diffIDsOf(store, base));
});

test('a zstd-compressed archive loads, and loading twice stores nothing new', async () => {
  await run('zstd', ['-q', '-f', ours, '-o', `${ours}.zst`]);
  const s = await fresh('zstd');
  const first = await loadArchiveIntoStore(s, fileStream(`${ours}.zst`), codecs, hash);
  assert.equal(first.images[0]!.id, base.id);
  assert.deepEqual(first.images[0]!.repoTags, ['docker.io/library/berthtest:v1']);
  const blobs = await blobSet(s);
  await loadArchiveIntoStore(s, fileStream(ours), codecs, hash);
  assert.deepEqual(await blobSet(s), blobs);
  assert.deepEqual((await s.gc()).removed, []);
});

test('a truncated archive fails, leaves the image store unchanged, and gc collects what it ingested', async () => {
  const bytes = await readFile(ours);
  const cut = join(dir, 'cut.tar');
  await writeFile(cut, bytes.subarray(0, Math.floor(bytes.byteLength * 0.9)));
  const before = await store.list();
  const blobsBefore = await blobSet(store);
  await assert.rejects(loadArchiveIntoStore(store, fileStream(cut), codecs, hash), /truncated|unexpected end|invalid archive/i);
  assert.deepEqual(await store.list(), before);
  await store.gc();
  assert.deepEqual(await blobSet(store), blobsBefore);
});

test('the built-in OCI layout loads from its directory', { skip: !(await access('build/images/index.json').then(() => true, () => false)) && 'build/images not prepared' }, async () => {
  const s = await fresh('builtin');
  const { images } = await loadOciLayoutDir('build/images', s.blobs, codecs, hash);
  assert.deepEqual(images.map((i) => i.repoTags[0]).sort(),
    ['docker.io/library/busybox:latest', 'docker.io/library/hello-wasm:latest', 'docker.io/library/hello-world:latest']);
  for (const i of images) assert.ok(i.index, 'recorded with its index');
});

// --- the real dockerd, started on a private socket when it is installed ---

let dockerd: ChildProcess | undefined;
let dockerHost = '';
const haveDockerd = await access('/usr/sbin/dockerd').then(() => true, () => false);

async function docker(...args: string[]): Promise<string> {
  return (await run('docker', ['-H', dockerHost, ...args], { maxBuffer: 1 << 28 })).stdout;
}

test('the real dockerd loads and runs what berth saves; what it saves loads into berth', { skip: !haveDockerd && 'dockerd not installed', timeout: 120_000 }, async (t) => {
  const d = join(dir, 'dockerd');
  await mkdir(d, { recursive: true });
  dockerHost = `unix://${d}/docker.sock`;
  dockerd = spawn('dockerd', ['--iptables=false', '--ip-masq=false', '--bridge=none', `--data-root=${d}/data`, `--exec-root=${d}/exec`,
    `--pidfile=${d}/docker.pid`, '-H', dockerHost], { stdio: 'ignore' });
  t.after(async () => {
    if (!dockerd || dockerd.exitCode !== null) return;
    const exited = new Promise((r) => dockerd!.once('exit', r));
    dockerd.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (dockerd.exitCode === null) dockerd.kill('SIGKILL');
  });
  for (let i = 0; ; i++) {
    try { await docker('version', '--format', '{{.Server.Version}}'); break; } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const loaded = await docker('load', '-i', ours);
  assert.match(loaded, /Loaded image: berthtest:v1/);
  assert.equal((await docker('image', 'inspect', '--format', '{{.Id}}', 'berthtest:v1')).trim(), base.id);
  assert.equal(await docker('run', '--rm', '--network', 'none', 'berthtest:v1'), 'hello from berth\n');

  await docker('tag', 'berthtest:v1', 'example.com:5000/x/y:z');
  const saved = join(dir, 'docker-saved.tar');
  await docker('save', '-o', saved, 'berthtest:v1', 'example.com:5000/x/y:z');
  const s = await fresh('from-docker');
  const { images, messages } = await loadArchiveIntoStore(s, fileStream(saved), codecs, hash);
  assert.deepEqual(messages.sort(), ['Loaded image: berthtest:v1', 'Loaded image: example.com:5000/x/y:z']);
  assert.equal(images.length, 1);
  assert.equal(images[0]!.id, base.id);
  assert.deepEqual(images[0]!.repoTags, ['docker.io/library/berthtest:v1', 'example.com:5000/x/y:z']);
  assert.deepEqual(await diffIDsOf(s, images[0]!), await diffIDsOf(store, base));
});
