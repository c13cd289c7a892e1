// The legacy builder's cache (dockerd's getLocalCachedImage): a step hits when an image whose parent
// is the stage's current image was made by the same step, which its `container_config` records (the
// step's Cmd, with the expanded instruction, the build args RUN saw and COPY's content checksum, and
// the config it ran with). Intermediate images are ordinary untagged images with a parent link, so the
// cache outlives daemon restarts and `docker image prune` empties it.
import type { ContainerConfig } from '../image/types.ts';
import type { ImageRecord } from '../metadata/image-store.ts';
import type { ImageDeps } from '../engine/store-image.ts';
import { parseImageConfig } from '../image/parse.ts';

/** The fields of a step's config the cache compares (dockerd's image/cache compare). */
const KEY_FIELDS = [
  'Cmd', 'Entrypoint', 'Env', 'Labels', 'ExposedPorts', 'Volumes', 'WorkingDir', 'User', 'OnBuild', 'Shell',
  'Healthcheck', 'StopSignal',
] as const;

export function cacheKey(config: ContainerConfig): string {
  const c = config as Record<string, unknown>;
  return JSON.stringify(KEY_FIELDS.map((k) => canonical(c[k])));
}

/** The child of `parentId` ('' for scratch) that the step with this probe config made, if any. */
export async function findCachedStep(deps: ImageDeps, parentId: string, probe: ContainerConfig): Promise<ImageRecord | undefined> {
  const key = cacheKey(probe);
  const candidates = parentId ? await deps.store.children(parentId) : (await deps.store.list()).filter((r) => !r.parent);
  // The newest first, as dockerd picks the latest of several matches.
  candidates.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  for (const rec of candidates) {
    let config;
    try {
      config = parseImageConfig(await deps.blobs.readBytes(rec.id));
    } catch {
      continue; // an image whose config went missing is no cache
    }
    if (config.container_config && cacheKey(config.container_config) === key) return rec;
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
