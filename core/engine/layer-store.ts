// One layer into the local store: its blob into the content store and, for a tar, its unpacked
// snapshot. A layer that needs both is downloaded once and streamed into both at the same time;
// the snapshot is unpacked while the bytes arrive. Guarantees kept on that path:
// - the snapshot becomes visible only after its tar ended, which happens only after the source
//   verified the blob's digest (Layer.compressed() errors at the end otherwise), and after the
//   snapshotter checked the diffID;
// - the blob is committed only after the snapshot succeeded (its stream's end waits for it), so a
//   layer whose digest or diffID is wrong leaves neither a blob nor a snapshot.
import type { Layer } from '../image/image.ts';
import type { Descriptor } from '../image/types.ts';
import type { BlobStore } from '../content/blob-store.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import type { Codecs } from '../host.ts';
import { decompressStream } from '../layer/compression.ts';
import type { ProgressSink } from './json-message.ts';
import { progressStream } from './progress.ts';
import { fanOut } from './fan-out.ts';

export interface LayerPlan {
  desc: Descriptor;
  diffID: string;
  /** Docker's id for the layer in progress messages. */
  id: string;
  /** A tar to unpack (not a wasm module or other blob). */
  tar: boolean;
  haveBlob: boolean;
  haveSnapshot: boolean;
}

export interface LayerDeps {
  blobs: BlobStore;
  snapshotter: Snapshotter;
  codecs: Codecs;
}

/** Errors the stream with the signal's reason when it aborts (a sibling layer failed). */
function abortable(signal: AbortSignal): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      if (signal.aborted) controller.error(signal.reason);
      else signal.addEventListener('abort', () => controller.error(signal.reason), { once: true });
    },
  });
}

/** Holds the end of a stream until `gate` settles; a rejected gate errors the stream instead. */
function endAfter(gate: Promise<unknown>): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream<Uint8Array, Uint8Array>({ async flush() { await gate; } });
}

/** `Downloading` progress, then dockerd's `Verifying Checksum` and `Download complete` once the verified stream ended. */
function downloadProgress(emit: ProgressSink, p: LayerPlan, onComplete: () => void = () => {}): TransformStream<Uint8Array, Uint8Array> {
  return progressStream(emit, 'Downloading', p.id, p.desc.size, () => {
    emit({ status: 'Verifying Checksum', progressDetail: {}, id: p.id });
    emit({ status: 'Download complete', progressDetail: {}, id: p.id });
    onComplete();
  });
}

/**
 * Stores one layer as `p` says it is needed; returns the unpacked size of a tar layer. Emits the
 * per-layer download and extraction messages, but not `Pull complete` (the caller's).
 */
export async function storeLayer(deps: LayerDeps, layer: Layer, p: LayerPlan, emit: ProgressSink, signal: AbortSignal): Promise<number | undefined> {
  signal.throwIfAborted();
  const { blobs, snapshotter, codecs } = deps;
  const expected = { digest: p.desc.digest, size: p.desc.size };
  const fromBlob = (status: string) => async () => decompressStream(
    (await blobs.read(p.desc.digest)).pipeThrough(abortable(signal)).pipeThrough(progressStream(emit, status, p.id, p.desc.size)), codecs);

  if (!p.tar || p.haveSnapshot) {
    if (!p.haveBlob) {
      await blobs.write(expected, async () => (await layer.compressed()).pipeThrough(abortable(signal)).pipeThrough(downloadProgress(emit, p)));
    }
    // Present already: the snapshotter answers with its size without opening anything.
    return p.tar ? (await snapshotter.prepare(p.diffID, fromBlob('Extracting'))).size : undefined;
  }
  if (p.haveBlob) return (await snapshotter.prepare(p.diffID, fromBlob('Extracting'))).size;

  let downloaded = false;
  const source = (await layer.compressed()).pipeThrough(downloadProgress(emit, p, () => { downloaded = true; }));
  const { branches, abort } = fanOut(source, 2);
  const toBlob = branches[0]!;
  const toSnapshot = branches[1]!;
  const onAbort = () => abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  // Extraction keeps pace with the download; it is reported once the download is complete, as
  // dockerd reports it after `Download complete`.
  const extracting = progressStream((m) => { if (downloaded) emit(m); }, 'Extracting', p.id, p.desc.size);
  let snapshotOpened = false;
  let blobOpened = false;
  const unpacked = snapshotter.prepare(p.diffID, async () => {
    snapshotOpened = true;
    return decompressStream(toSnapshot.pipeThrough(extracting), codecs);
  });
  const written = blobs.write(expected, async () => {
    blobOpened = true;
    return toBlob.pipeThrough(endAfter(unpacked));
  });
  // A branch whose consumer joined someone else's transfer is never read: release it so the other
  // branch is not held back. Either side failing stops the other at once.
  const settle = <T>(work: Promise<T>, branch: ReadableStream<Uint8Array>, opened: () => boolean) => work.then(
    (v) => { if (!opened()) void branch.cancel().catch(() => {}); return v; },
    (e: unknown) => { abort(e); throw e; },
  );
  try {
    const [info] = await Promise.all([settle(unpacked, toSnapshot, () => snapshotOpened), settle(written, toBlob, () => blobOpened)]);
    return info.size;
  } catch (e) {
    // Both settle before the caller goes on, so nothing is still writing once the pull failed.
    await Promise.allSettled([unpacked, written]);
    throw e;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
