// Pushing an Image to a registry as `docker push` does: every layer is checked with HEAD, mounted
// from a repository known to hold it, or uploaded — several at once — then the config, and the
// manifest last, so a registry never holds a manifest whose blobs are missing. Progress is
// reported per layer with the statuses of Docker's push stream.
import type { Image, Layer } from '../image/image.ts';
import { MediaType } from '../image/media-types.ts';
import { shortId } from '../digest.ts';
import { BerthError } from '../errors.ts';
import type { Reference } from '../reference/reference.ts';
import type { RegistryClient } from './client.ts';

export type PushStatus = 'Preparing' | 'Waiting' | 'Pushing' | 'Pushed' | 'Layer already exists' | 'Skipped foreign layer' | `Mounted from ${string}`;

export interface PushProgress {
  /** Docker's layer id in push output: the short diffID. */
  id: string;
  status: PushStatus;
  /** Bytes sent so far and the layer size, while `Pushing`. */
  current?: number;
  total?: number;
}

export interface PushOptions {
  onProgress?: (p: PushProgress) => void;
  /**
   * Repositories of the same registry that may already hold a layer (Docker keeps this in its
   * V2 metadata): mounting from them saves the upload.
   */
  mountFrom?: string | string[] | ((layerDigest: string) => string[] | Promise<string[]>);
  /** Layers uploaded at once. Docker's default is 5. */
  concurrency?: number;
  /** Chunked uploads (PATCH with Content-Range) of this size instead of one PUT per blob. */
  chunkSize?: number;
  signal?: AbortSignal;
}

export interface PushResult {
  digest: string;
  size: number;
  mediaType: string;
  /** The tag pushed, when the reference had one. */
  tag?: string;
}

function isForeign(mediaType: string): boolean {
  return mediaType === MediaType.DockerForeignLayer || mediaType.includes('.nondistributable.');
}

async function candidates(opt: PushOptions['mountFrom'], digest: string, self: string): Promise<string[]> {
  if (!opt) return [];
  const list = typeof opt === 'function' ? await opt(digest) : typeof opt === 'string' ? [opt] : opt;
  return [...new Set(list)].filter((r) => r && r !== self);
}

export async function pushImage(client: RegistryClient, ref: Reference, image: Image, opts: PushOptions = {}): Promise<PushResult> {
  const repo = { domain: ref.domain, path: ref.path };
  const layers = await image.layers();
  const sig = opts.signal ? { signal: opts.signal } : {};
  const report = (p: PushProgress) => opts.onProgress?.(p);

  // Docker lists the top layer first.
  const entries = await Promise.all(layers.map(async (layer) => ({ layer, id: shortId(await layer.diffID()) })));
  const order = [...entries].reverse();
  const seen = new Set<string>();
  for (const { id } of order) {
    if (seen.has(id)) continue;
    seen.add(id);
    report({ id, status: 'Preparing' });
  }

  // The same layer twice in one image (an empty layer repeated) is pushed once.
  const unique = new Map<string, { layer: Layer; id: string }>();
  for (const e of order) {
    const d = await e.layer.digest();
    if (!unique.has(d)) unique.set(d, e);
  }
  const queue = [...unique.values()];
  if (queue.length > (opts.concurrency ?? 5)) for (const { id } of queue.slice(opts.concurrency ?? 5)) report({ id, status: 'Waiting' });

  const pushLayer = async ({ layer, id }: { layer: Layer; id: string }) => {
    const [digest, size, mediaType] = await Promise.all([layer.digest(), layer.size(), layer.mediaType()]);
    if (isForeign(mediaType)) {
      // Docker does not push foreign layers: they stay at their URLs.
      report({ id, status: 'Skipped foreign layer' });
      return;
    }
    if (await client.headBlob(repo, digest, { push: true, ...sig })) {
      report({ id, status: 'Layer already exists' });
      return;
    }
    let location: string | undefined;
    for (const from of await candidates(opts.mountFrom, digest, ref.path)) {
      const r = await client.mountBlob(repo, digest, from, opts.signal);
      if (r.mounted) {
        report({ id, status: `Mounted from ${from}` });
        return;
      }
      // The registry opened an upload instead: use it rather than leave it dangling.
      location = r.location;
      break;
    }
    report({ id, status: 'Pushing', current: 0, total: size });
    await client.uploadBlob(repo, { digest, size, data: () => layer.compressed() }, {
      ...(location ? { location } : {}), ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}), ...sig,
      onProgress: (n) => report({ id, status: 'Pushing', current: n, total: size }),
    });
    report({ id, status: 'Pushed' });
  };

  let failure: unknown;
  const workers = Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 5, queue.length)) }, async () => {
    for (let next = queue.shift(); next && failure === undefined; next = queue.shift()) {
      try { await pushLayer(next); } catch (e) { failure ??= e; }
    }
  });
  await Promise.all(workers);
  if (failure !== undefined) throw failure;

  const configDigest = await image.configName();
  const config = await image.rawConfigFile();
  if (!(await client.headBlob(repo, configDigest, { push: true, ...sig }))) {
    await client.uploadBlob(repo, { digest: configDigest, size: config.byteLength, data: config }, sig);
  }

  const raw = await image.rawManifest();
  const mediaType = await image.mediaType();
  const digest = await image.digest();
  const target: Reference = ref.tag !== undefined ? { ...repo, tag: ref.tag } : { ...repo, digest };
  const pushed = await client.putManifest(target, raw, mediaType, opts.signal);
  if (pushed !== digest) {
    throw new BerthError('digest_mismatch', `the manifest pushed has digest ${pushed}, but the image's digest is ${digest}`);
  }
  return { digest, size: raw.byteLength, mediaType, ...(ref.tag !== undefined ? { tag: ref.tag } : {}) };
}
