import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { HashFactory } from '../../core/host.ts';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { SingleFlight } from '../../core/content/single-flight.ts';
import { ingestBlob } from '../../core/content/ingest.ts';
import { digestBytes } from '../../core/digest.ts';
import { BerthError } from '../../core/errors.ts';

const hash: HashFactory = (alg) => { const h = createHash(alg); return { update: (d) => { h.update(d); }, digest: () => h.digest('hex') }; };
const enc = new TextEncoder();
const stream = (b: Uint8Array) => new ReadableStream<Uint8Array>({ start(c) { c.enqueue(b); c.close(); } });

test('single-flight runs one function per key at a time and forgets it afterwards', async () => {
  const sf = new SingleFlight<string, number>();
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const fn = async () => { calls++; await gate; return 42; };
  const a = sf.run('k', fn), b = sf.run('k', fn), c = sf.run('other', async () => 7);
  assert.equal(sf.size, 2);
  release();
  assert.deepEqual(await Promise.all([a, b, c]), [42, 42, 7]);
  assert.equal(calls, 1);
  assert.equal(sf.size, 0);
  await assert.rejects(sf.run('k', async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await sf.run('k', async () => 1), 1);
});

test('memory store: verified writes, dedup, single transfer, ingest', async () => {
  const store = new MemoryBlobStore(hash);
  const data = enc.encode('memory blob');
  const digest = digestBytes(hash, data);
  await assert.rejects(store.write({ digest }, enc.encode('other')),
    (e: unknown) => e instanceof BerthError && e.code === 'digest_mismatch' && e.message.includes(digest));
  assert.equal(await store.info(digest), undefined);
  let opened = 0;
  const src = async () => { opened++; return stream(data); };
  await Promise.all([store.write({ digest }, src), store.write({ digest }, src), store.write({ digest, size: data.byteLength }, src)]);
  assert.equal(opened, 1);
  await store.write({ digest }, src);
  assert.equal(opened, 1);
  assert.deepEqual(await store.readBytes(digest), data);
  assert.deepEqual(new Uint8Array(await new Response(await store.read(digest)).arrayBuffer()), data);
  const other = enc.encode('ingested');
  assert.deepEqual(await ingestBlob(store, stream(other), hash), { digest: digestBytes(hash, other), size: other.byteLength });
  const all = [];
  for await (const i of store.list()) all.push(i.digest);
  assert.equal(all.length, 2);
  await store.delete(digest);
  await assert.rejects(store.readBytes(digest), (e: unknown) => e instanceof BerthError && e.code === 'not_found');
});
