// `docker image prune` (moby's ImagesPrune): removes dangling images (no tag or digest reference),
// or with `all` every image no container uses, leaf images first so parents follow through rmi's
// own pruning; then collects the blobs nothing references any more.
import type { ImageStore } from './image-store.ts';
import { removeImage, type ImageDeleteItem, type RemoveImageOptions } from './image-delete.ts';
import type { ImageRecord } from './image-store.ts';
import { BerthError } from '../errors.ts';

export interface PruneOptions {
  all?: boolean;
  inUse?: RemoveImageOptions['inUse'];
  /** Further filters (`until`, `label`) decided by the caller. */
  filter?: (rec: ImageRecord) => boolean;
  onEvent?: RemoveImageOptions['onEvent'];
}

export async function pruneImages(store: ImageStore, opts: PruneOptions = {}): Promise<{ ImagesDeleted: ImageDeleteItem[]; SpaceReclaimed: number }> {
  const all = await store.list();
  const parents = new Set(all.map((r) => r.parent).filter((p): p is string => p !== undefined));
  const deleted: ImageDeleteItem[] = [];
  for (const rec of all) {
    if (parents.has(rec.id)) continue; // only leaves; their parents go with them
    const dangling = rec.repoTags.length === 0 && rec.repoDigests.length === 0;
    if (!opts.all && !dangling) continue;
    if (opts.inUse?.(rec.id)) continue;
    if (opts.filter && !opts.filter(rec)) continue;
    const rmOpts: RemoveImageOptions = { ...(opts.inUse ? { inUse: opts.inUse } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) };
    try {
      if (dangling) {
        deleted.push(...await removeImage(store, rec.id, rmOpts));
      } else {
        for (const ref of [...rec.repoTags, ...rec.repoDigests]) {
          if (!(await store.get(rec.id))) break;
          deleted.push(...await removeImage(store, ref, rmOpts));
        }
      }
    } catch (e) {
      // A conflict (a container started meanwhile) skips the image, as Docker's prune does.
      if (!(e instanceof BerthError && (e.code === 'conflict' || e.code === 'not_found'))) throw e;
    }
  }
  const { removed } = await store.gc();
  return { ImagesDeleted: deleted, SpaceReclaimed: removed.reduce((n, b) => n + b.size, 0) };
}
