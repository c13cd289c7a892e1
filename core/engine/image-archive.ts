// `docker save` and `docker load` through the daemon: the archive format is core/archive's; this
// adds leases, events, unpacking of what comes in, and the stream messages.
import { saveFromStore } from '../archive/save-from-store.ts';
import { loadImageArchive } from '../archive/image-archive-load.ts';
import { LocalImage } from '../image/local-image.ts';
import { familiarString, parseReference } from '../reference/reference.ts';
import { ZERO_TIME } from '../metadata/image-store.ts';
import type { ProgressSink } from './json-message.ts';
import { progressMessage } from './json-message.ts';
import type { EventBus } from './events.ts';
import { storeImageContent, type ImageDeps } from './store-image.ts';

export interface ArchiveContext extends ImageDeps { events: EventBus }

/** `docker save NAMES`; which images and tags go in is core/archive's (moby's tarexporter rules). */
export async function saveImages(ctx: ArchiveContext, names: string[]): Promise<ReadableStream<Uint8Array>> {
  // Resolved first, so an unknown name is a 404 before any byte of the archive.
  const ids = new Set<string>();
  for (const name of names) ids.add((await ctx.store.resolve(name)).id);
  const lease = await ctx.store.lease();
  let tar: ReadableStream<Uint8Array>;
  try {
    tar = await saveFromStore(ctx.store, names, ctx.codecs, ctx.hash);
  } catch (e) {
    lease.release();
    throw e;
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
        c.error(e);
      }
    },
    cancel(reason) { lease.release(); return reader.cancel(reason); },
  });
}

/** Loads a docker-archive or OCI layout tar; reports `Loaded image: ...` lines as dockerd. */
export async function loadImages(ctx: ArchiveContext, tar: ReadableStream<Uint8Array>, opts: { quiet: boolean }, emit: ProgressSink): Promise<void> {
  const lease = await ctx.store.lease();
  try {
    const { images } = await loadImageArchive(tar, ctx.blobs, ctx.codecs, ctx.hash);
    for (const loaded of images) {
      const image = await LocalImage.open(ctx.blobs, loaded.manifest, { codecs: ctx.codecs, hash: ctx.hash });
      const layerEmit: ProgressSink = opts.quiet ? () => {} : (m) => {
        if (m.status === 'Extracting' && m.id && m.progressDetail) {
          emit(progressMessage('Loading layer', m.id, m.progressDetail.current ?? 0, m.progressDetail.total ?? 0));
        }
      };
      const content = await storeImageContent(ctx, { image, manifest: loaded.manifest }, layerEmit);
      for (const tag of loaded.repoTags) {
        try {
          const old = await ctx.store.resolve(tag);
          if (old.id !== content.configDigest && old.repoTags.length === 1) {
            emit({ stream: `The image ${familiarString(parseReference(tag))} already exists, renaming the old one with ID ${old.id} to empty string\n` });
          }
        } catch { /* new tag */ }
      }
      const c = content.config;
      await ctx.store.put({
        id: content.configDigest,
        manifest: loaded.manifest,
        ...(loaded.index ? { index: loaded.index } : {}),
        repoTags: loaded.repoTags,
        repoDigests: [],
        created: c.created ?? ZERO_TIME,
        size: content.size,
        platform: { architecture: c.architecture, os: c.os, ...(c.variant ? { variant: c.variant } : {}) },
      });
      if (loaded.repoTags.length) {
        for (const t of loaded.repoTags) emit({ stream: `Loaded image: ${familiarString(parseReference(t))}\n` });
      } else {
        emit({ stream: `Loaded image ID: ${content.configDigest}\n` });
      }
      ctx.events.publish('image', 'load', content.configDigest, { name: content.configDigest });
    }
  } finally {
    lease.release();
  }
}

