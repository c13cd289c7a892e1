// The test page of test/browser/worker-engine.test.ts (bundled by it): starts the engine worker next
// to it and offers `berth(argv)` over the comlink bridge, and `storeChecks()`, which puts the OPFS
// content store and the IndexedDB metadata store through their contract in this real browser.
import { connectEngine } from '../../host-browser/worker/client.ts';
import { runCaptured, type CliRun } from '../../host-browser/worker/captured-cli.ts';
import { OpfsBlobStore } from '../../host-browser/storage/opfs-blob-store.ts';
import { names, opfsDirectory } from '../../host-browser/storage/opfs.ts';
import { IdbMetadataStore, openDatabase } from '../../host-browser/storage/idb-kv.ts';
import { wasmHashFactory } from '../../host-browser/worker/wasm-hash.ts';
import { digestBytes } from '../../core/digest.ts';
import { collect } from '../../core/content/ingest.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface StoreChecks {
  badDigest: { error: string; stored: boolean; leftovers: string[] };
  good: { size: number | undefined; text: string; listed: boolean; streamed: string };
  failedSource: { error: string; stored: boolean; leftovers: string[] };
  sharedWrite: { sizes: number[]; secondOpened: boolean };
  ingest: { digest: string; expected: string };
  corrupted: { error: string; storedAfter: boolean; streamError: string };
  crashLeftover: { before: number; after: number };
  kv: { value: string; keys: string[]; afterDelete: string[]; copied: string };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function storeChecks(): Promise<StoreChecks> {
  const hash = await wasmHashFactory();
  const dir = await opfsDirectory('store-checks/content');
  const store = await OpfsBlobStore.open(dir, hash);
  const ingestDir = await dir.getDirectoryHandle('ingest');
  const bytes = enc.encode('hello, opfs');
  const digest = digestBytes(hash, bytes);

  const badDigest = { error: '', stored: false, leftovers: [] as string[] };
  await store.write({ digest, size: bytes.byteLength }, enc.encode('hello, OPFS')).catch((e) => { badDigest.error = message(e); });
  badDigest.stored = (await store.info(digest)) !== undefined;
  badDigest.leftovers = await names(ingestDir);

  const failedSource = { error: '', stored: false, leftovers: [] as string[] };
  await store.write({ digest }, async () => new ReadableStream({
    start(c) { c.enqueue(bytes.subarray(0, 4)); c.error(new Error('the network went away')); },
  })).catch((e) => { failedSource.error = message(e); });
  failedSource.stored = (await store.info(digest)) !== undefined;
  failedSource.leftovers = await names(ingestDir);

  let secondOpened = false;
  const [a, b] = await Promise.all([
    store.write({ digest, size: bytes.byteLength }, async () => new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } })),
    store.write({ digest, size: bytes.byteLength }, async () => { secondOpened = true; return new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } }); }),
  ]);
  const listed: string[] = [];
  for await (const i of store.list()) listed.push(i.digest);
  const good = {
    size: (await store.info(digest))?.size,
    text: dec.decode(await store.readBytes(digest)),
    listed: listed.includes(digest),
    streamed: dec.decode(await collect(await store.read(digest))),
  };

  const other = enc.encode('ingested without a known digest');
  const ingested = await store.ingest(new ReadableStream({ start(c) { c.enqueue(other); c.close(); } }));

  // a blob changed behind the store's back (disk corruption, a tampered file)
  const file = await (await dir.getDirectoryHandle('sha256')).getFileHandle(digest.slice(7));
  const w = await file.createWritable();
  await w.write(enc.encode('hellO, opfs'));
  await w.close();
  const corrupted = { error: '', storedAfter: true, streamError: '' };
  await store.readBytes(digest).catch((e) => { corrupted.error = message(e); });
  corrupted.storedAfter = (await store.info(digest)) !== undefined;
  await store.write({ digest }, bytes);
  const w2 = await (await (await dir.getDirectoryHandle('sha256')).getFileHandle(digest.slice(7))).createWritable();
  await w2.write(enc.encode('HELLO, OPFS'));
  await w2.close();
  await collect(await store.read(digest)).catch((e) => { corrupted.streamError = message(e); });

  // a write that a closed tab cut short leaves its temporary file; the next start removes it
  await (await ingestDir.getFileHandle('left-by-a-crash', { create: true })).createWritable().then((s) => s.close());
  const before = (await names(ingestDir)).length;
  await OpfsBlobStore.open(dir, hash);
  const crashLeftover = { before, after: (await names(ingestDir)).length };

  const db = await openDatabase('store-checks', ['records']);
  const kv = new IdbMetadataStore(db, 'records');
  const value = enc.encode('{"v":1}');
  await kv.put('images/a', value);
  await kv.put('images/b', enc.encode('{"v":2}'));
  await kv.put('other/c', enc.encode('{"v":3}'));
  value[0] = 0x58;
  const kvResult = {
    value: dec.decode(await kv.get('images/b')),
    keys: await kv.keys('images/'),
    afterDelete: [] as string[],
    copied: dec.decode(await kv.get('images/a')),
  };
  await kv.delete('images/a');
  await kv.delete('images/never');
  kvResult.afterDelete = await kv.keys();
  db.close();

  return {
    badDigest, good, failedSource, sharedWrite: { sizes: [a.size, b.size], secondOpened },
    ingest: { digest: ingested.digest, expected: digestBytes(hash, other) }, corrupted, crashLeftover, kv: kvResult,
  };
}

/** What the worker said about the guest (`{ berthStatus: 'vm', state, detail }`), in order. */
export interface VmStatusMessage { state: string; detail?: string; /** ms since the page's navigation started */ at: number }

declare global {
  // eslint-disable-next-line no-var
  var vmStatus: VmStatusMessage[];
  // eslint-disable-next-line no-var
  var berth: (argv: string[]) => Promise<CliRun>;
  // eslint-disable-next-line no-var
  var storeChecks: () => Promise<StoreChecks>;
}

// the page's query goes on to the worker (`?v86=...`)
const worker = new Worker(new URL(`./engine-worker.js${location.search}`, import.meta.url), { type: 'module' });
globalThis.vmStatus = [];
worker.addEventListener('message', (e: MessageEvent<{ berthStatus?: string } & VmStatusMessage>) => {
  if (e.data?.berthStatus === 'vm') globalThis.vmStatus.push({ state: e.data.state, at: Math.round(performance.now()), ...(e.data.detail ? { detail: e.data.detail } : {}) });
});
const conn = connectEngine(worker);
globalThis.berth = (argv) => runCaptured(conn, argv);
globalThis.storeChecks = storeChecks;
