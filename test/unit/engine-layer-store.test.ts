// A layer downloaded once into the content store and the snapshotter at the same time: what is
// kept when it is good, and that a wrong digest or diffID keeps neither blob nor snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { digestBytes, shortId, verifyingStream } from '../../core/digest.ts';
import type { Layer } from '../../core/image/image.ts';
import { MediaType } from '../../core/image/media-types.ts';
import { MemorySnapshotter } from '../helpers/memory-snapshotter.ts';
import type { JsonMessage } from '../../core/engine/json-message.ts';
import { storeLayer, type LayerPlan } from '../../core/engine/layer-store.ts';
import { nodeCodecs, nodeHash } from '../../host-linux/services.ts';

interface Fixture { tar: Uint8Array; blob: Uint8Array; digest: string; diffID: string }

function fixture(seed: string): Fixture {
  // Incompressible enough to take many chunks through the streams.
  const tar = new Uint8Array(300_000);
  let x = [...seed].reduce((h, c) => h * 31 + c.charCodeAt(0), 7) >>> 0;
  for (let i = 0; i < tar.length; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; tar[i] = x >>> 24; }
  const blob = new Uint8Array(gzipSync(tar));
  return { tar, blob, digest: digestBytes(nodeHash, blob), diffID: digestBytes(nodeHash, tar) };
}

/** A registry-like layer: served in 16 KiB chunks, verified against `digest` as it streams. */
function servedLayer(served: Uint8Array, digest: string, diffID: string, calls = { compressed: 0 }): Layer {
  return {
    digest: async () => digest,
    diffID: async () => diffID,
    size: async () => served.byteLength,
    mediaType: async () => MediaType.OCILayerGzip,
    compressed: async () => {
      calls.compressed++;
      let at = 0;
      return new ReadableStream<Uint8Array>({
        pull(c) {
          if (at >= served.byteLength) { c.close(); return; }
          c.enqueue(served.slice(at, at += 16384));
        },
      }).pipeThrough(verifyingStream(nodeHash, digest, served.byteLength));
    },
    uncompressed: async () => { throw new Error('not used'); },
  };
}

function plan(f: { digest: string; diffID: string; blob: Uint8Array }, have: { blob?: boolean; snapshot?: boolean } = {}): LayerPlan {
  return {
    desc: { mediaType: MediaType.OCILayerGzip, digest: f.digest, size: f.blob.byteLength },
    diffID: f.diffID, id: shortId(f.digest), tar: true, haveBlob: have.blob ?? false, haveSnapshot: have.snapshot ?? false,
  };
}

function setup() {
  const blobs = new MemoryBlobStore(nodeHash);
  const snapshotter = new MemorySnapshotter();
  const messages: JsonMessage[] = [];
  return { blobs, snapshotter, deps: { blobs, snapshotter, codecs: nodeCodecs }, messages, emit: (m: JsonMessage) => { messages.push(m); } };
}

const live = () => new AbortController().signal;

test('a good layer is stored and unpacked from one download, with dockerd\'s messages in order', async () => {
  const f = fixture('good');
  const { blobs, snapshotter, deps, messages, emit } = setup();
  const calls = { compressed: 0 };
  const size = await storeLayer(deps, servedLayer(f.blob, f.digest, f.diffID, calls), plan(f), emit, live());
  assert.equal(size, f.tar.byteLength);
  assert.equal(calls.compressed, 1);
  assert.deepEqual(await blobs.readBytes(f.digest), f.blob);
  assert.deepEqual(snapshotter.layers.get(f.diffID), { diffID: f.diffID, size: f.tar.byteLength });
  const statuses = messages.map((m) => m.status).filter((s, i, all) => s !== all[i - 1]);
  assert.deepEqual(statuses, ['Downloading', 'Verifying Checksum', 'Download complete', 'Extracting']);
  const lastExtracting = messages.filter((m) => m.status === 'Extracting').pop()!;
  assert.deepEqual(lastExtracting.progressDetail, { current: f.blob.byteLength, total: f.blob.byteLength });
});

test('a blob that does not match its digest leaves no blob and no snapshot', async () => {
  const f = fixture('served');
  const other = fixture('tampered');
  const { blobs, snapshotter, deps, messages, emit } = setup();
  // The registry serves other bytes under f's digest; they are a fine gzip of a fine tar.
  await assert.rejects(storeLayer(deps, servedLayer(other.blob, f.digest, other.diffID), plan({ ...f, blob: other.blob, diffID: other.diffID }), emit, live()),
    (e: Error & { code?: string }) => e.code === 'digest_mismatch');
  assert.equal(await blobs.info(f.digest), undefined);
  assert.equal(snapshotter.layers.size, 0);
  assert.ok(!messages.some((m) => m.status === 'Download complete'));
});

test('a tar that does not match its diffID leaves no blob and no snapshot', async () => {
  const f = fixture('layer');
  const wrongDiffID = fixture('something else').diffID;
  const { blobs, snapshotter, deps, emit } = setup();
  await assert.rejects(storeLayer(deps, servedLayer(f.blob, f.digest, wrongDiffID), plan({ ...f, diffID: wrongDiffID }), emit, live()),
    (e: Error & { code?: string }) => e.code === 'digest_mismatch');
  assert.equal(await blobs.info(f.digest), undefined, 'the verified blob was not committed');
  assert.equal(snapshotter.layers.size, 0);
});

test('an abort (another layer failed) stops the download and keeps nothing', async () => {
  const f = fixture('aborted');
  const { blobs, snapshotter, deps, emit } = setup();
  const ctl = new AbortController();
  const layer = servedLayer(f.blob, f.digest, f.diffID);
  const compressed = layer.compressed;
  layer.compressed = async () => {
    const s = await compressed();
    let n = 0;
    return s.pipeThrough(new TransformStream({ transform(c, out) { if (++n === 3) ctl.abort(new Error('layer 2 failed')); out.enqueue(c); } }));
  };
  await assert.rejects(storeLayer(deps, layer, plan(f), emit, ctl.signal), /layer 2 failed/);
  assert.equal(await blobs.info(f.digest), undefined);
  assert.equal(snapshotter.layers.size, 0);
});

test('what is present is not fetched again: a stored blob is unpacked from the store, an unpacked layer only downloaded', async () => {
  const f = fixture('present');
  const { blobs, snapshotter, deps, messages, emit } = setup();
  await blobs.write({ digest: f.digest, size: f.blob.byteLength }, f.blob);
  const calls = { compressed: 0 };
  assert.equal(await storeLayer(deps, servedLayer(f.blob, f.digest, f.diffID, calls), plan(f, { blob: true }), emit, live()), f.tar.byteLength);
  assert.equal(calls.compressed, 0);
  assert.ok(messages.some((m) => m.status === 'Extracting'));
  assert.ok(!messages.some((m) => m.status === 'Downloading'));

  await blobs.delete(f.digest);
  messages.length = 0;
  assert.equal(await storeLayer(deps, servedLayer(f.blob, f.digest, f.diffID, calls), plan(f, { snapshot: true }), emit, live()), f.tar.byteLength);
  assert.equal(calls.compressed, 1);
  assert.equal(snapshotter.opened, 1);
  assert.deepEqual(await blobs.readBytes(f.digest), f.blob);
});

test('a snapshot that appeared meanwhile (another pull unpacked it) still gets the blob stored', async () => {
  const f = fixture('raced');
  const { blobs, snapshotter, deps, emit } = setup();
  // Planned as missing, but present by the time the snapshotter is asked: it never opens the stream.
  snapshotter.layers.set(f.diffID, { diffID: f.diffID, size: f.tar.byteLength });
  assert.equal(await storeLayer(deps, servedLayer(f.blob, f.digest, f.diffID), plan(f), emit, live()), f.tar.byteLength);
  assert.equal(snapshotter.opened, 0);
  assert.deepEqual(await blobs.readBytes(f.digest), f.blob);
});
