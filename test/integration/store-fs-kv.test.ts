import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsMetadataStore, decodeKey, encodeKey } from '../../host-linux/metadata/fs-kv.ts';
import { MemoryMetadataStore } from '../../core/metadata/memory-kv.ts';
import type { MetadataStore } from '../../core/metadata/kv.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'berth-kv-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

async function contract(kv: MetadataStore): Promise<void> {
  assert.equal(await kv.get('missing'), undefined);
  await kv.put('images/sha256:abc', enc.encode('one'));
  await kv.put('images/sha256:abd', enc.encode('two'));
  await kv.put('refs/docker.io/library/busybox:latest', enc.encode('three'));
  await kv.put('../../escape', enc.encode('four'));
  await kv.put('ünïcode ✓', enc.encode('five'));
  assert.equal(dec.decode(await kv.get('images/sha256:abc')), 'one');
  await kv.put('images/sha256:abc', enc.encode('one, replaced'));
  assert.equal(dec.decode(await kv.get('images/sha256:abc')), 'one, replaced');
  assert.deepEqual(await kv.keys('images/'), ['images/sha256:abc', 'images/sha256:abd']);
  assert.deepEqual(await kv.keys(), ['../../escape', 'images/sha256:abc', 'images/sha256:abd', 'refs/docker.io/library/busybox:latest', 'ünïcode ✓']);
  assert.equal(dec.decode(await kv.get('../../escape')), 'four');
  await kv.delete('images/sha256:abc');
  await kv.delete('images/sha256:abc');
  assert.equal(await kv.get('images/sha256:abc'), undefined);
  // Values are copies: changing what was put or got does not change the store.
  const v = enc.encode('mutable');
  await kv.put('m', v);
  v[0] = 0;
  const got = (await kv.get('m'))!;
  got[1] = 0;
  assert.equal(dec.decode(await kv.get('m')), 'mutable');
}

test('memory metadata store contract', async () => { await contract(new MemoryMetadataStore()); });

test('fs metadata store contract, one file per key, nothing outside its directory', async () => {
  const d = join(dir, 'kv1');
  await contract(await FsMetadataStore.open(d));
  const files = await readdir(d);
  assert.equal(files.length, 5);
  for (const f of files) assert.match(f, /^[A-Za-z0-9_%-]+$/);
  assert.deepEqual(await readdir(dir), ['kv1']);
  // A second store over the same directory sees the same values (they are on disk).
  const again = await FsMetadataStore.open(d);
  assert.equal(dec.decode(await again.get('refs/docker.io/library/busybox:latest')), 'three');
});

test('temp files from an interrupted put are ignored and removed at open', async () => {
  const d = join(dir, 'kv2');
  const kv = await FsMetadataStore.open(d);
  await kv.put('k', enc.encode('old'));
  await writeFile(join(d, '.tmp-999-deadbeef'), 'torn new value');
  const reopened = await FsMetadataStore.open(d);
  assert.deepEqual(await reopened.keys(), ['k']);
  assert.equal(dec.decode(await reopened.get('k')), 'old');
  assert.deepEqual(await readdir(d), [encodeKey('k')]);
});

test('key encoding round-trips and never yields path separators or dot names', () => {
  for (const k of ['.', '..', 'a/b', '%41', 'sha256:0123', 'x'.repeat(60)]) {
    const e = encodeKey(k);
    assert.ok(!e.includes('/') && !e.startsWith('.'), e);
    assert.equal(decodeKey(e), k);
  }
  assert.throws(() => encodeKey(''), /must not be empty/);
});
