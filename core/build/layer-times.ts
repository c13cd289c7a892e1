// SOURCE_DATE_EPOCH for layers a container made: every mtime after the epoch is set to it (and the
// access and change times PAX may carry are dropped), so the same inputs give the same layer digest
// whenever they are built, as BuildKit's rewrite-timestamp does.
import { readTar } from '../layer/tar-read.ts';
import { TarWriter } from '../layer/tar-write.ts';
import { clampToEpoch } from './copy/plan.ts';

export function clampLayerTimes(tar: ReadableStream<Uint8Array>, epochSeconds: number): ReadableStream<Uint8Array> {
  const clamp = clampToEpoch(epochSeconds);
  const w = new TarWriter();
  (async () => {
    for await (const entry of readTar(tar)) {
      const { atime: _a, ctime: _c, mtime: _m, ...pax } = entry.pax;
      // The writer keeps whole seconds: the same files give the same bytes.
      await w.add({ ...entry, mtime: clamp(entry.mtime), pax }, entry.type === 'file' ? entry.body : undefined);
    }
    await w.finish();
  })().catch((e: unknown) => w.abort(e));
  return w.readable;
}
