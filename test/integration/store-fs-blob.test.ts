import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../../host-linux/content/fs-blob-store.ts';
import { createHash } from 'node:crypto';
import type { HashFactory } from '../../core/host.ts';
import { digestBytes } from '../../core/digest.ts';
import { BerthError } from '../../core/errors.ts';

const enc = new TextEncoder();
// services.ts pulls in the layer codecs; the store needs only a hash.
const nodeHash: HashFactory = (alg) => { const h = createHash(alg); return { update: (d) => { h.update(d); }, digest: () => h.digest('hex') }; };
let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'berth-blobs-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

async function fresh(): Promise<{ store: FsBlobStore; root: string }> {
  const root = await mkdtemp(join(dir, 's-'));
  return { store: await FsBlobStore.open(root, nodeHash), root };
}

function streamOf(chunks: Uint8Array[], failAfter?: number): () => Promise<ReadableStream<Uint8Array>> {
  return async () => {
    let i = 0;
    return new ReadableStream<Uint8Array>({
      pull(c) {
        if (failAfter !== undefined && i === failAfter) { c.error(new Error('connection reset')); return; }
        if (i < chunks.length) c.enqueue(chunks[i++]!); else c.close();
      },
    });
  };
}

async function readAll(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function ingestFiles(root: string): Promise<string[]> {
  return readdir(join(root, 'ingest'));
}

test('write then read back, with the file at blobs/<alg>/<hex>', async () => {
  const { store, root } = await fresh();
  const data = enc.encode('hello blob');
  const digest = digestBytes(nodeHash, data);
  const info = await store.write({ digest, size: data.byteLength }, data);
  assert.deepEqual(info, { digest, size: data.byteLength });
  assert.deepEqual(await readFile(join(root, 'blobs', 'sha256', digest.slice(7))), Buffer.from(data));
  assert.deepEqual(await store.readBytes(digest), data);
  assert.deepEqual(await readAll(await store.read(digest)), data);
  assert.deepEqual(await store.info(digest), { digest, size: data.byteLength });
  assert.deepEqual(await ingestFiles(root), []);
});

test('a streamed write with the wrong digest fails naming it and leaves nothing behind', async () => {
  const { store, root } = await fresh();
  const wrong = digestBytes(nodeHash, enc.encode('something else'));
  await assert.rejects(store.write({ digest: wrong }, streamOf([enc.encode('abc'), enc.encode('def')])),
    (e: unknown) => e instanceof BerthError && e.code === 'digest_mismatch' && e.message.includes(wrong));
  assert.equal(await store.info(wrong), undefined);
  assert.deepEqual(await ingestFiles(root), []);
});

test('a size mismatch (truncated or too long) is refused', async () => {
  const { store } = await fresh();
  const data = enc.encode('0123456789');
  const digest = digestBytes(nodeHash, data);
  await assert.rejects(store.write({ digest, size: 11 }, streamOf([data])), /truncated: got 10 of 11/);
  await assert.rejects(store.write({ digest, size: 9 }, streamOf([data])), /longer than its declared size 9/);
  await assert.rejects(store.write({ digest, size: 9 }, data), /size mismatch/);
  assert.equal(await store.info(digest), undefined);
});

test('an aborted source stream leaves nothing at the final path nor in ingest/', async () => {
  const { store, root } = await fresh();
  const chunks = [enc.encode('part one '), enc.encode('part two')];
  const digest = digestBytes(nodeHash, enc.encode('part one part two'));
  await assert.rejects(store.write({ digest }, streamOf(chunks, 1)), /connection reset/);
  assert.equal(await store.info(digest), undefined);
  assert.deepEqual(await ingestFiles(root), []);
  // And the same write succeeds afterwards.
  await store.write({ digest }, streamOf(chunks));
  assert.equal((await store.info(digest))?.size, 17);
});

test('leftover ingest files from a crash are removed at open', async () => {
  const { root } = await fresh();
  await writeFile(join(root, 'ingest', 'half-written.123.abc'), 'partial');
  await FsBlobStore.open(root, nodeHash);
  assert.deepEqual(await ingestFiles(root), []);
});

test('a blob already present is not written again (its source is never opened)', async () => {
  const { store } = await fresh();
  const data = enc.encode('dedup me');
  const digest = digestBytes(nodeHash, data);
  await store.write({ digest }, data);
  let opened = 0;
  const info = await store.write({ digest, size: data.byteLength }, async () => { opened++; return streamOf([data])(); });
  assert.equal(opened, 0);
  assert.equal(info.size, data.byteLength);
});

test('concurrent writes of one digest open the source once', async () => {
  const { store } = await fresh();
  const data = new Uint8Array(1 << 20).map((_, i) => i * 7);
  const digest = digestBytes(nodeHash, data);
  let opened = 0;
  const src = async () => { opened++; return streamOf([data.subarray(0, 1000), data.subarray(1000)])(); };
  const results = await Promise.all(Array.from({ length: 5 }, () => store.write({ digest, size: data.byteLength }, src)));
  assert.equal(opened, 1);
  for (const r of results) assert.deepEqual(r, { digest, size: data.byteLength });
  assert.deepEqual(await store.readBytes(digest), data);
});

test('a concurrent writer retries with its own source when the shared transfer fails', async () => {
  const { store } = await fresh();
  const data = enc.encode('good content');
  const digest = digestBytes(nodeHash, data);
  const bad = store.write({ digest }, streamOf([enc.encode('bad content!')]));
  const good = store.write({ digest }, streamOf([data]));
  await assert.rejects(bad, /digest mismatch/);
  assert.deepEqual(await good, { digest, size: data.byteLength });
});

test('corruption on disk is detected on read (stream and bytes), naming the digest', async () => {
  const { store, root } = await fresh();
  const data = new Uint8Array(600_000).map((_, i) => i % 251);
  const digest = digestBytes(nodeHash, data);
  await store.write({ digest }, data);
  const path = join(root, 'blobs', 'sha256', digest.slice(7));
  const onDisk = await readFile(path);
  onDisk[300_000] ^= 0xff;
  await writeFile(path, onDisk);
  await assert.rejects(readAll(await store.read(digest)),
    (e: unknown) => e instanceof BerthError && e.code === 'digest_mismatch' && e.message.includes(digest));
  // The broken copy is gone, so a re-pull writes it again.
  assert.equal(await store.info(digest), undefined);
  await store.write({ digest }, data);
  await writeFile(path, onDisk);
  await assert.rejects(store.readBytes(digest), new RegExp(digest));
});

test('ingest computes the digest while writing and dedups', async () => {
  const { store, root } = await fresh();
  const data = enc.encode('a layer of unknown digest');
  const info = await store.ingest(await streamOf([data.subarray(0, 5), data.subarray(5)])());
  assert.deepEqual(info, { digest: digestBytes(nodeHash, data), size: data.byteLength });
  assert.deepEqual(await store.readBytes(info.digest), data);
  assert.deepEqual(await store.ingest(await streamOf([data])()), info);
  assert.deepEqual(await ingestFiles(root), []);
  await assert.rejects(store.ingest(await streamOf([data], 0)()), /connection reset/);
  assert.deepEqual(await ingestFiles(root), []);
});

test('list, delete, and bad digests', async () => {
  const { store, root } = await fresh();
  const a = enc.encode('a'), b = enc.encode('bb');
  const da = digestBytes(nodeHash, a), db = digestBytes(nodeHash, b);
  await store.write({ digest: da }, a);
  await store.write({ digest: db }, b);
  await mkdir(join(root, 'blobs', 'sha256', 'not-a-digest'));
  const listed = [];
  for await (const i of store.list()) listed.push(i);
  assert.deepEqual(listed.sort((x, y) => x.digest.localeCompare(y.digest)),
    [{ digest: da, size: 1 }, { digest: db, size: 2 }].sort((x, y) => x.digest.localeCompare(y.digest)));
  await store.delete(da);
  await store.delete(da);
  assert.equal(await store.info(da), undefined);
  await assert.rejects(store.read(da), (e: unknown) => e instanceof BerthError && e.code === 'not_found');
  await assert.rejects(store.info('sha256:../../etc/passwd'), (e: unknown) => e instanceof BerthError && e.code === 'invalid_digest');
});

test('a writer killed mid-transfer (SIGKILL) leaves no blob, and its temp file is removed at the next open', async () => {
  const { root } = await fresh();
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const storeModule = fileURLToPath(new URL('../../host-linux/content/fs-blob-store.ts', import.meta.url));
  const digest = `sha256:${'7'.repeat(64)}`;
  const code = `
    import { createHash } from 'node:crypto';
    const { FsBlobStore } = await import(${JSON.stringify(storeModule)});
    const hash = (a) => { const h = createHash(a); return { update: (d) => h.update(d), digest: () => h.digest('hex') }; };
    const store = await FsBlobStore.open(${JSON.stringify(root)}, hash);
    // A source that keeps sending forever: the process only ends by being killed.
    await store.write({ digest: ${JSON.stringify(digest)} }, async () => new ReadableStream({
      async pull(c) { await new Promise((r) => setTimeout(r, 5)); c.enqueue(new Uint8Array(64 * 1024)); },
    }));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: 'ignore' });
  try {
    for (let i = 0; ; i++) {
      const files = await ingestFiles(root).catch(() => []);
      if (files.length > 0) break;
      if (i > 200) throw new Error('the writer never started');
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  assert.equal((await ingestFiles(root)).length, 1, 'the killed writer left its temp file');
  const reopened = await FsBlobStore.open(root, nodeHash);
  assert.deepEqual(await ingestFiles(root), []);
  assert.equal(await reopened.info(digest), undefined);
  assert.deepEqual(await readdir(join(root, 'blobs', 'sha256')), []);
});
