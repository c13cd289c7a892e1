// The legacy builder's cache (dockerd's getLocalCachedImage): a step hits when an image whose parent
// is the stage's current image was made by the same step, which its `container_config` records (the
// step's Cmd, with the expanded instruction, the build args RUN saw and COPY's content checksum, and
// the config it ran with). Intermediate images are ordinary untagged images with a parent link, so the
// cache outlives daemon restarts and `docker image prune` empties it.
import type { ContainerConfig, Descriptor, ImageConfig } from '../image/types.ts';
import type { ImageRecord, ImageStore } from '../metadata/image-store.ts';
import type { ImageDeps } from '../engine/store-image.ts';
import { writeStepImage, type BuildImage } from './image-writer.ts';

/** The fields of a step's config the cache compares (dockerd's image/cache compare). */
const KEY_FIELDS = [
  'Cmd', 'Entrypoint', 'Env', 'Labels', 'ExposedPorts', 'Volumes', 'WorkingDir', 'User', 'OnBuild', 'Shell',
  'Healthcheck', 'StopSignal',
  // berth's own: RUN's --mount and --network flags, which the legacy Cmd does not show.
  'BerthRunFlags',
] as const;

export function cacheKey(config: ContainerConfig): string {
  const c = config as Record<string, unknown>;
  return JSON.stringify(KEY_FIELDS.map((k) => canonical(c[k])));
}

/**
 * The child of `parentId` ('' for scratch) that the step with this probe config made, if any. `config` reads
 * an image's config (the image service caches them: every step asks about the same children again).
 */
export async function findCachedStep(store: ImageStore, config: (id: string) => Promise<ImageConfig>, parentId: string, probe: ContainerConfig): Promise<ImageRecord | undefined> {
  const key = cacheKey(probe);
  const candidates = parentId ? await store.children(parentId) : (await store.list()).filter((r) => !r.parent);
  // The newest first, as dockerd picks the latest of several matches.
  candidates.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  for (const rec of candidates) {
    const made = (await config(rec.id).catch(() => undefined))?.container_config; // a config gone missing is no cache
    if (made && cacheKey(made) === key) return rec;
  }
  return undefined;
}

/** Empty and absent are the same to the cache (null Labels vs {}), and object key order is not. */
function canonical(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return null;
  if (Array.isArray(v)) return v.length === 0 ? null : v.map(canonical);
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length === 0 ? null : Object.fromEntries(entries.map(([k, x]) => [k, canonical(x)]));
  }
  return v;
}

/** An image given with --cache-from, as the cache reads it: its history, layers and their descriptors. */
export interface CacheSource {
  id: string;
  config: ImageConfig;
  layers: Descriptor[];
}

/**
 * dockerd's cache from --cache-from images (image/cache GetCache): an image pulled or loaded has no
 * parent chain, so a step hits when a source's history starts with the current image's history and
 * layers and its next entry was made by the same command. The hit is restored as an image of its own
 * (the source's entry and layer on top of the current image), or is the source itself at its last entry.
 */
export async function findInCacheSources(deps: ImageDeps, sources: readonly CacheSource[], parent: BuildImage, probe: ContainerConfig): Promise<BuildImage | undefined> {
  const history = parent.config.history ?? [];
  const diffIDs = parent.config.rootfs.diff_ids;
  const createdBy = (probe.Cmd ?? []).join(' ');
  for (const source of sources) {
    const target = source.config.history ?? [];
    if (!startsWith(source.config, parent.id ? parent.config : undefined) || target[history.length]?.created_by !== createdBy) continue;
    if (target.length - 1 === history.length) return { id: source.id, config: source.config, layers: source.layers };
    const entry = target[history.length]!;
    const layerIndex = target.slice(0, history.length + 1).filter((h) => !h.empty_layer).length - 1;
    const layer = entry.empty_layer ? undefined : source.layers[layerIndex];
    const config: ImageConfig = {
      architecture: source.config.architecture,
      os: source.config.os,
      ...(source.config.author ? { author: source.config.author } : {}),
      ...(entry.created ? { created: entry.created } : {}),
      config: probe,
      container_config: probe,
      rootfs: { type: 'layers', diff_ids: layer ? [...diffIDs, source.config.rootfs.diff_ids[layerIndex]!] : [...diffIDs] },
      history: [...history, entry],
    };
    return writeStepImage(deps, parent, config, layer);
  }
  return undefined;
}

/** dockerd's isValidParent: the image's history and layers begin with the parent's. */
function startsWith(image: ImageConfig, parent: ImageConfig | undefined): boolean {
  const history = image.history ?? [];
  if (history.length === 0) return false;
  if (!parent) return true;
  const ph = parent.history ?? [];
  const pd = parent.rootfs.diff_ids;
  if (ph.length === 0 && pd.length === 0) return true;
  if (ph.length >= history.length || pd.length > image.rootfs.diff_ids.length) return false;
  return ph.every((h, i) => JSON.stringify(canonical(h)) === JSON.stringify(canonical(history[i]))) && pd.every((d, i) => d === image.rootfs.diff_ids[i]);
}
