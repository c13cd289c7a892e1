// `docker image prune` (moby's ImagesPrune): removes dangling images (no tag; digest references do
// not count), or with `all` every image no container uses. Dangling ones are taken among the leaves
// only, their untagged parents following through rmi's own pruning. An image with references is
// removed reference by reference, as moby does; then what nothing references any more is collected.
import type { ImageStore } from './image-store.ts';
import { removeImage, type ImageDeleteItem, type RemoveImageOptions } from './image-delete.ts';
import type { ImageRecord } from './image-store.ts';
import { BerthError } from '../errors.ts';

export interface PruneOptions {
  all?: boolean;
  inUse?: RemoveImageOptions['inUse'];
  /** Further filters (`until`, `label`) decided by the caller. */
  filter?: (rec: ImageRecord) => boolean | Promise<boolean>;
  onEvent?: RemoveImageOptions['onEvent'];
  /**
   * Frees what the removed images held and says how many bytes that was. The default collects the
   * store's unreferenced blobs; a daemon also sweeps unpacked layers and counts those.
   */
  collect?: () => Promise<number>;
}

export function isDangling(rec: ImageRecord): boolean {
  return rec.repoTags.length === 0;
}

export async function pruneImages(store: ImageStore, opts: PruneOptions = {}): Promise<{ ImagesDeleted: ImageDeleteItem[]; SpaceReclaimed: number }> {
  const all = await store.list();
  const parents = new Set(all.map((r) => r.parent).filter((p): p is string => p !== undefined));
  const deleted: ImageDeleteItem[] = [];
  const rmOpts: RemoveImageOptions = { ...(opts.inUse ? { inUse: opts.inUse } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) };
  for (const rec of all) {
    if (!opts.all && (parents.has(rec.id) || !isDangling(rec))) continue;
    if (opts.inUse?.(rec.id)) continue;
    if (opts.filter && !(await opts.filter(rec))) continue;
    try {
      const refs = [...rec.repoTags, ...rec.repoDigests];
      if (refs.length === 0) {
        deleted.push(...await removeImage(store, rec.id, rmOpts));
        continue;
      }
      for (const ref of refs) {
        if (!(await store.get(rec.id))) break;
        deleted.push(...await removeImage(store, ref, rmOpts));
      }
    } catch (e) {
      // A conflict (a container started meanwhile) skips the image, as Docker's prune does.
      if (!(e instanceof BerthError && (e.code === 'conflict' || e.code === 'not_found'))) throw e;
    }
  }
  const collect = opts.collect ?? (async () => (await store.gc()).removed.reduce((n, b) => n + b.size, 0));
  return { ImagesDeleted: deleted, SpaceReclaimed: await collect() };
}
