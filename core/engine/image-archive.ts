// `docker save` and `docker load` through the daemon: the archive format is core/archive's; this
// adds leases, events, unpacking of what comes in, and the stream messages.
import { saveFromStore } from '../archive/save-from-store.ts';
import { loadArchiveIntoStore } from '../archive/load-into-store.ts';
import { LocalImage } from '../image/local-image.ts';
import type { ProgressSink } from './json-message.ts';
import { progressMessage } from './json-message.ts';
import type { EventBus } from './events.ts';
import { storeImageContent, type ImageDeps } from './store-image.ts';
import { missingContentError } from './missing-content.ts';
import { undoably } from './undoable-lease.ts';

export interface ArchiveContext extends ImageDeps { events: EventBus }

/** `docker save NAMES`; which images and tags go in is core/archive's (moby's tarexporter rules). */
export async function saveImages(ctx: ArchiveContext, names: string[]): Promise<ReadableStream<Uint8Array>> {
  // Resolved first, so an unknown name is a 404 before any byte of the archive.
  const ids = new Set<string>();
  for (const name of names) ids.add((await ctx.store.resolve(name)).id);
  const lease = await ctx.store.lease();
  let tar: ReadableStream<Uint8Array>;
  const shown = names.join(', ');
  try {
    tar = await saveFromStore(ctx.store, names, ctx.codecs, ctx.hash);
  } catch (e) {
    lease.release();
    throw missingContentError(e, shown);
  }
  for (const id of ids) ctx.events.publish('image', 'save', id, { name: id });
  // gc must not sweep the blobs while they stream out.
  const reader = tar.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const { done, value } = await reader.read();
        if (done) { lease.release(); c.close(); } else c.enqueue(value);
      } catch (e) {
        lease.release();
        c.error(missingContentError(e, shown));
      }
    },
    cancel(reason) { lease.release(); return reader.cancel(reason); },
  });
}

/**
 * Loads a docker-archive or OCI layout tar: core/archive ingests and records, the engine unpacks
 * each image's layers before its record (reported as `Loading layer`) and streams dockerd's lines.
 */
export async function loadImages(ctx: ArchiveContext, tar: ReadableStream<Uint8Array>, opts: { quiet: boolean }, emit: ProgressSink): Promise<void> {
  const layerEmit: ProgressSink = opts.quiet ? () => {} : (m) => {
    if (m.status === 'Extracting' && m.id && m.progressDetail) {
      emit(progressMessage('Loading layer', m.id, m.progressDetail.current ?? 0, m.progressDetail.total ?? 0));
    }
  };
  // A bad archive leaves the content store as it was (dockerd keeps what it had ingested).
  const { images } = await undoably(ctx.store, () => loadArchiveIntoStore(ctx.store, tar, ctx.codecs, ctx.hash, {
    prepare: async (loaded) => {
      const image = await LocalImage.open(ctx.blobs, loaded.manifest, { codecs: ctx.codecs, hash: ctx.hash });
      return (await storeImageContent(ctx, { image, manifest: loaded.manifest }, layerEmit)).sizes;
    },
    onMessage: (line) => emit({ stream: `${line}\n` }),
  }));
  for (const rec of images) ctx.events.publish('image', 'load', rec.id, { name: rec.id });
}
