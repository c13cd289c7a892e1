// `docker save` and `docker load` over the local store: the archive format is core/archive's; this
// decides which images and tags go in, unpacks what comes in, and records it.
import { writeImageArchive, type ArchiveImage } from '../archive/image-archive-write.ts';
import { loadImageArchive } from '../archive/image-archive-load.ts';
import { LocalImage } from '../image/local-image.ts';
import { familiarString, fullName, isNameOnly, parseAnyReference, parseReference, referenceString } from '../reference/reference.ts';
import { ZERO_TIME, type ImageRecord } from '../metadata/image-store.ts';
import type { ProgressSink } from '../api/json-stream.ts';
import { progressMessage } from '../api/json-stream.ts';
import type { EventBus } from './events.ts';
import { storeImageContent, type ImageDeps } from './store-image.ts';

export interface ArchiveContext extends ImageDeps { events: EventBus }

/**
 * Which images and tags `docker save NAMES` writes: `repo:tag` that tag; a bare `repo` every tag of
 * that repository; an ID (or prefix) the image without tags. Unknown names fail before any byte.
 */
export async function planSave(ctx: ArchiveContext, names: string[]): Promise<Map<string, { record: ImageRecord; tags: Set<string> }>> {
  const plan = new Map<string, { record: ImageRecord; tags: Set<string> }>();
  const add = (record: ImageRecord, tag?: string) => {
    let e = plan.get(record.id);
    if (!e) { e = { record, tags: new Set() }; plan.set(record.id, e); }
    if (tag) e.tags.add(tag);
  };
  for (const name of names) {
    const any = (() => { try { return parseAnyReference(name); } catch { return undefined; } })();
    if (any?.kind === 'name' && isNameOnly(any.ref)) {
      const all = (await ctx.store.list()).flatMap((r) => r.repoTags.filter((t) => fullName(parseReference(t)) === fullName(any.ref)).map((t) => ({ r, t })));
      if (all.length) { for (const { r, t } of all) add(r, t); continue; }
    }
    const record = await ctx.store.resolve(name);
    if (any?.kind === 'name') {
      const ref = any.ref;
      add(record, ref.digest ? undefined : referenceString({ ...ref, tag: ref.tag ?? 'latest' }));
    } else {
      add(record);
    }
  }
  return plan;
}

export async function saveImages(ctx: ArchiveContext, names: string[]): Promise<ReadableStream<Uint8Array>> {
  const plan = await planSave(ctx, names);
  const images: ArchiveImage[] = [];
  for (const { record, tags } of plan.values()) {
    images.push({ image: await LocalImage.open(ctx.blobs, record.manifest, { codecs: ctx.codecs, hash: ctx.hash }), repoTags: [...tags] });
  }
  const lease = await ctx.store.lease();
  const tar = writeImageArchive(images, { codecs: ctx.codecs, hash: ctx.hash });
  for (const id of plan.keys()) ctx.events.publish('image', 'save', id, { name: id });
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

