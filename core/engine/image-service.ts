// The image service behind the /images endpoints: every operation on local images, the events
// they publish, and the snapshots they leave behind.
import type { Fetch } from '../host.ts';
import type { Platform, ImageConfig } from '../image/types.ts';
import { parseImageConfig } from '../image/parse.ts';
import type { ImageRecord } from '../metadata/image-store.ts';
import { removeImage, type ImageDeleteItem } from '../metadata/image-delete.ts';
import { pruneImages } from '../metadata/image-prune.ts';
import { BerthError } from '../errors.ts';
import { familiarString, isNameOnly, parseReference, registryEndpointHost, withDefaultTag, withTag, type Reference } from '../reference/reference.ts';
import type { Credentials } from '../auth/credentials.ts';
import type { ProgressSink } from './json-message.ts';
import type { EventBus } from './events.ts';
import type { HostResolver, RegistryConfig } from '../config/registry-config.ts';
import { recordStoredImage, storeImageContent, type ImageDeps } from './store-image.ts';
import type { SourceImage } from './platform-image.ts';
import type { BuiltinImages } from './builtin-images.ts';
import { invalidFilterValue, listImages, type ImageFilters, type ImageSummary } from './image-list.ts';
import { familiar, imageHistory, inspectImage, type HistoryItem } from './image-inspect.ts';
import { pullImage, registryClient, resolvedSchemes, type PullContext, type PullRequest } from './pull.ts';
import { pushImage, type PushRequest } from './push.ts';
import { loadImages, saveImages } from './image-archive.ts';
import { trackCreatedSnapshots } from './created-snapshots.ts';
import { undoably } from './undoable-lease.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';

export interface ImageServiceOptions extends ImageDeps {
  events: EventBus;
  registry: RegistryConfig;
  fetch: Fetch;
  /** Resolves registry host names (a name on loopback is plain HTTP); without it only IPs and localhost are. */
  resolveHost?: HostResolver;
  hostPlatform: Platform;
  builtin?: BuiltinImages;
  /** The unpacked directory of a layer (GraphDriver.Data in inspect). */
  layerDir?: (diffID: string) => string | undefined;
  /** Whether a container uses an image (rmi conflicts); none until containers exist. */
  inUse?: (id: string) => { running: boolean; containerId: string } | undefined;
  userAgent?: string;
  registryTimeoutMs?: number;
}

export interface PruneResult { ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }

export class ImageService {
  private readonly configs = new Map<string, ImageConfig>();
  // Pulls and loads unpack layers before their image is recorded; the snapshot sweep must not
  // see those layers as unused. Writers run concurrently; a sweep waits for them and holds new ones.
  private writers = 0;
  private writersIdle: (() => void)[] = [];
  private sweeping: Promise<void> | undefined;
  private abandonedSnapshots = new Set<string>();

  constructor(readonly opts: ImageServiceOptions) {}

  get store() { return this.opts.store; }

  private get pullContext(): PullContext {
    const o = this.opts;
    return {
      ...o,
      ...(o.userAgent ? { userAgent: o.userAgent } : {}),
      ...(o.registryTimeoutMs ? { timeoutMs: o.registryTimeoutMs } : {}),
    };
  }

  async count(): Promise<number> {
    return (await this.store.list()).length;
  }

  /** An image's config, parsed once (configs are immutable: the ID is their digest). */
  async config(id: string): Promise<ImageConfig> {
    let c = this.configs.get(id);
    if (!c) {
      c = parseImageConfig(await this.opts.blobs.readBytes(id));
      this.configs.set(id, c);
    }
    return c;
  }

  async labels(rec: ImageRecord): Promise<Record<string, string> | null> {
    try { return (await this.config(rec.id)).config?.Labels ?? null; } catch { return null; }
  }

  list(opts: { all?: boolean; filters?: ImageFilters; virtualSize?: boolean; containers?: (id: string) => number; sharedSize?: (rec: ImageRecord) => number } = {}): Promise<ImageSummary[]> {
    return listImages(this.store, { ...opts, labels: (r) => this.labels(r) });
  }

  /** Finds an image for inspect & co; an unparsable name is reported the way dockerd does. */
  async resolve(name: string): Promise<ImageRecord> {
    try {
      return await this.store.resolve(name);
    } catch (e) {
      if (e instanceof BerthError && e.code === 'invalid_reference') {
        throw new BerthError('not_found', `no such image: ${name}: ${e.message}`);
      }
      throw e;
    }
  }

  async inspect(name: string, legacyFields = false): Promise<Record<string, unknown>> {
    const rec = await this.resolve(name);
    return inspectImage(rec, await this.config(rec.id), { legacyFields, ...(this.opts.layerDir ? { layerDir: this.opts.layerDir } : {}) });
  }

  async history(name: string): Promise<HistoryItem[]> {
    const rec = await this.resolve(name);
    const sizes = new Map((await this.opts.snapshotter.list()).map((s) => [s.diffID, s.size]));
    const items = imageHistory(rec, await this.config(rec.id), (d) => sizes.get(d) ?? 0);
    // A local build's parent chain names the entries its intermediate images ended with, as dockerd shows them.
    const seen = new Set([rec.id]);
    for (let id = rec.parent; id && !seen.has(id);) {
      seen.add(id);
      const parent = await this.opts.store.get(id);
      if (!parent) break;
      const at = items.length - ((await this.config(id)).history?.length ?? 0);
      if (at > 0 && at < items.length) {
        items[at]!.Id = parent.id;
        items[at]!.Tags = parent.repoTags.length ? parent.repoTags.map(familiar) : null;
      }
      id = parent.parent;
    }
    return items;
  }

  /** POST /images/{name}/tag?repo=&tag= */
  async tag(source: string, repo: string, tag: string): Promise<void> {
    const rec = await this.resolve(source);
    if (!repo) throw new BerthError('invalid_argument', 'repository name must have at least one component');
    let ref: Reference = parseReference(repo);
    if (ref.digest) throw new BerthError('invalid_argument', 'refusing to create a tag with a digest reference');
    if (tag) {
      if (ref.tag) throw new BerthError('invalid_argument', `invalid reference format: ${repo}:${tag}`);
      ref = withTag(ref, tag);
    }
    ref = withDefaultTag(ref);
    await this.store.tag(rec.id, `${ref.domain}/${ref.path}:${ref.tag}`);
    this.opts.events.publish('image', 'tag', rec.id, { name: familiarString(ref), ...((await this.labels(rec)) ?? {}) });
  }

  /**
   * Runs a pull or load with a snapshotter that notes the layers it unpacks. When it fails, those
   * layers go again (the blobs are the image store's lease's business), once no other writer is
   * left that might be about to record an image using them: the failed operation waits for that
   * only when it was the last writer.
   */
  private async writing<T>(fn: (snapshotter: Snapshotter) => Promise<T>): Promise<T> {
    while (this.sweeping) await this.sweeping;
    this.writers++;
    const tracked = trackCreatedSnapshots(this.opts.snapshotter);
    let failed = false;
    try {
      return await fn(tracked.snapshotter);
    } catch (e) {
      failed = true;
      for (const d of tracked.created) this.abandonedSnapshots.add(d);
      throw e;
    } finally {
      this.writers--;
      if (this.writers === 0) {
        // A collection already waiting sweeps every unused layer, these included.
        const sweep = this.abandonedSnapshots.size && !this.sweeping ? this.sweepAbandonedSnapshots() : undefined;
        for (const w of this.writersIdle.splice(0)) w();
        if (failed) await sweep;
      }
    }
  }

  // Held as a sweep, so no writer starts meanwhile.
  private sweepAbandonedSnapshots(): Promise<void> {
    const candidates = [...this.abandonedSnapshots];
    this.abandonedSnapshots.clear();
    const run = (async () => {
      const used = await this.usedLayers();
      if (!used) return;
      for (const d of candidates) if (!used.has(d)) await this.opts.snapshotter.remove(d);
    })().catch(() => { /* left for the next collection */ });
    const done = run.finally(() => { if (this.sweeping === done) this.sweeping = undefined; });
    this.sweeping = done;
    return done;
  }

  /** diffIDs of every recorded image; undefined when a config cannot be read (it might name any layer). */
  private async usedLayers(): Promise<Set<string> | undefined> {
    const used = new Set<string>();
    for (const rec of await this.store.list()) {
      try { for (const d of (await this.config(rec.id)).rootfs.diff_ids) used.add(d); } catch { return undefined; }
    }
    return used;
  }

  /**
   * Pulls `fromImage` at `tag`. No tag on a bare name means every tag of the repository, as
   * dockerd does (`docker pull --all-tags`).
   */
  async pull(req: PullRequest, emit: ProgressSink): Promise<ImageRecord | undefined> {
    const ref = parseReference(req.fromImage);
    if (req.tag || !isNameOnly(ref)) return this.writing((snapshotter) => pullImage({ ...this.pullContext, snapshotter }, req, emit));
    let tags: string[];
    try {
      tags = await registryClient(this.pullContext, req.credentials, await resolvedSchemes(this.pullContext, ref.domain)).listTags(ref);
    } catch (e) {
      // Docker Hub offline: the built-in image under `latest` is all there is.
      if (e instanceof BerthError && (e.code === 'unavailable' || e.code === 'timeout')) tags = ['latest'];
      else throw e;
    }
    if (!tags.length) throw new BerthError('not_found', `no tags found for ${familiarString(ref)}`);
    let last: ImageRecord | undefined;
    for (const tag of tags) last = await this.writing((snapshotter) => pullImage({ ...this.pullContext, snapshotter }, { ...req, tag }, emit));
    return last;
  }

  /** Stores an image from any source silently and records it (the built-in images at start-up). */
  async storeSource(src: SourceImage, refs: { repoTags: string[]; repoDigests: string[] }): Promise<ImageRecord> {
    return this.writing((snapshotter) => undoably(this.store, async () => {
      const deps = { ...this.opts, snapshotter };
      return recordStoredImage(deps, src, await storeImageContent(deps, src, () => {}), refs);
    }));
  }

  async push(req: PushRequest, emit: ProgressSink): Promise<void> {
    return pushImage(this.pullContext, req, emit);
  }

  /** A docker-archive (also an OCI layout) of the named images; unknown names fail before the stream. */
  save(names: string[]): Promise<ReadableStream<Uint8Array>> {
    return saveImages(this.opts, names);
  }

  load(tar: ReadableStream<Uint8Array>, opts: { quiet: boolean }, emit: ProgressSink): Promise<void> {
    return this.writing((snapshotter) => loadImages({ ...this.opts, snapshotter }, tar, opts, emit));
  }

  async remove(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    const items = await removeImage(this.store, name, {
      ...opts,
      ...(this.opts.inUse ? { inUse: this.opts.inUse } : {}),
      onEvent: (action, id) => { this.opts.events.publish('image', action, id, { name: id }); },
    });
    if (items.some((i) => 'Deleted' in i)) await this.collectGarbage();
    return items;
  }

  /**
   * POST /images/prune: dangling images (no tags) by default; `dangling=false` removes every image
   * no container uses. `until` and `label` narrow it as in dockerd.
   */
  async prune(filters: ImageFilters): Promise<PruneResult> {
    for (const key of filters.keys()) {
      if (!['dangling', 'until', 'label', 'label!'].includes(key)) throw new BerthError('invalid_argument', `invalid filter '${key}'`);
    }
    const danglingValues = filters.get('dangling') ?? [];
    const last = danglingValues[danglingValues.length - 1]?.toLowerCase();
    if (last !== undefined && !['true', 'false', '1', '0'].includes(last)) {
      throw invalidFilterValue('dangling', danglingValues);
    }
    const danglingOnly = last === undefined || last === 'true' || last === '1';
    const untilValues = filters.get('until') ?? [];
    const until = untilValues.length ? pruneUntil(untilValues[untilValues.length - 1]!) : undefined;
    // Always a full sweep, as dockerd's prune: it also frees what was left outside any image (by a
    // crash, or by hand), at the price of waiting for pulls in progress.
    const { ImagesDeleted, SpaceReclaimed } = await pruneImages(this.store, {
      all: !danglingOnly,
      ...(this.opts.inUse ? { inUse: this.opts.inUse } : {}),
      filter: async (rec) => {
        if (until !== undefined && !(Date.parse(rec.created) < until)) return false;
        const labels = await this.labels(rec);
        return (filters.get('label') ?? []).every((e) => matchLabel(labels, e))
          && !(filters.get('label!') ?? []).some((e) => matchLabel(labels, e));
      },
      onEvent: (action, id) => { this.opts.events.publish('image', action, id, { name: id }); },
      collect: async () => {
        const before = await this.spaceUsed();
        await this.collectGarbage();
        return Math.max(0, before - await this.spaceUsed());
      },
    });
    this.opts.events.publish('image', 'prune', '', { reclaimed: String(SpaceReclaimed) });
    return { ImagesDeleted: ImagesDeleted.length ? ImagesDeleted : null, SpaceReclaimed };
  }

  /** Blobs no image reaches, and unpacked layers no image uses. */
  async collectGarbage(): Promise<void> {
    while (this.sweeping) await this.sweeping;
    let done!: () => void;
    this.sweeping = new Promise<void>((r) => { done = r; });
    try {
      while (this.writers > 0) await new Promise<void>((r) => this.writersIdle.push(r));
      await this.store.gc();
      // This sweep covers the abandoned layers too.
      this.abandonedSnapshots.clear();
      // A config that cannot be read might name any layer: keep them all rather than guess.
      const used = await this.usedLayers();
      if (!used) return;
      for (const s of await this.opts.snapshotter.list()) {
        if (!used.has(s.diffID)) await this.opts.snapshotter.remove(s.diffID);
      }
    } finally {
      this.sweeping = undefined;
      done();
    }
  }

  /** The images part of GET /system/df: every image with SharedSize, and the total of unpacked layers. */
  async diskUsage(containers: (id: string) => number = () => 0): Promise<{ LayersSize: number; Images: ImageSummary[] }> {
    const sizes = new Map((await this.opts.snapshotter.list()).map((s) => [s.diffID, s.size]));
    const users = new Map<string, number>();
    const layersOf = new Map<string, string[]>();
    for (const rec of await this.store.list()) {
      let diffIDs: string[] = [];
      try { diffIDs = [...new Set((await this.config(rec.id)).rootfs.diff_ids)]; } catch { /* unreadable config: no layers counted */ }
      layersOf.set(rec.id, diffIDs);
      for (const d of diffIDs) users.set(d, (users.get(d) ?? 0) + 1);
    }
    const sharedSize = (rec: ImageRecord) => (layersOf.get(rec.id) ?? []).filter((d) => (users.get(d) ?? 0) > 1).reduce((n, d) => n + (sizes.get(d) ?? 0), 0);
    const images = await this.list({ all: true, containers, sharedSize });
    return { LayersSize: [...sizes.values()].reduce((a, b) => a + b, 0), Images: images };
  }

  /** Bytes of unpacked layers (what prune reports as reclaimed, as dockerd counts layer sizes). */
  async spaceUsed(): Promise<number> {
    return (await this.opts.snapshotter.list()).reduce((n, s) => n + s.size, 0);
  }

  /** POST /auth: checks credentials against the registry as `docker login` does. */
  async login(body: { username?: string; password?: string; serveraddress?: string; identitytoken?: string }): Promise<{ Status: string; IdentityToken: string }> {
    const address = body.serveraddress || 'https://index.docker.io/v1/';
    const domain = address.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
    const host = domain === 'index.docker.io' ? registryEndpointHost('docker.io') : registryEndpointHost(domain);
    const creds: Credentials = {
      ...(body.username !== undefined ? { username: body.username } : {}),
      ...(body.password !== undefined ? { password: body.password } : {}),
      ...(body.identitytoken ? { identitytoken: body.identitytoken } : {}),
    };
    const client = registryClient(this.pullContext, creds, new Map([[host, await this.opts.registry.schemeResolved(host, this.opts.resolveHost)]]));
    const r = await client.login(host, creds);
    return { Status: 'Login Succeeded', IdentityToken: r.identityToken ?? '' };
  }
}

function matchLabel(labels: Record<string, string> | null, expr: string): boolean {
  if (!labels) return false;
  const i = expr.indexOf('=');
  if (i < 0) return expr in labels;
  return labels[expr.slice(0, i)] === expr.slice(i + 1);
}

function pruneUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(v);
  if (d) return Date.now() - Number(d[1]) * ({ s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[d[2]!]!;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new BerthError('invalid_argument', `failed to parse value as time or duration: "${v}"`);
  return t;
}
