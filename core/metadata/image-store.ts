// Local images: records keyed by image ID (the config digest, as Docker), and a reference table
// (tags and digests -> ID, Docker's repositories.json). The reference table is the single source of
// truth for tags, so moving a tag between images is one atomic put. Order of writes keeps every
// crash consistent: blobs before records, records before references; on removal references first.
import type { MetadataStore } from './kv.ts';
import type { BlobInfo, BlobStore } from '../content/blob-store.ts';
import type { Descriptor, Platform } from '../image/types.ts';
import { AsyncMutex } from './async-mutex.ts';
import { BerthError, isNotFound } from '../errors.ts';
import { parseDigest } from '../digest.ts';
import {
  familiarString, parseAnyReference, parseReference, referenceString, withDefaultTag, type Reference,
} from '../reference/reference.ts';

export interface ImageRecord {
  /** Docker's image ID: the digest of the config blob. */
  id: string;
  /** The platform manifest. */
  manifest: Descriptor;
  /** The index the image was pulled through, if any. */
  index?: Descriptor;
  /** Full normalized references: `docker.io/library/busybox:latest`. */
  repoTags: string[];
  /** Full normalized references: `docker.io/library/busybox@sha256:...`. */
  repoDigests: string[];
  /** From the config; Docker's zero time when the config has none. */
  created: string;
  /** Sum of uncompressed layer sizes when known, else of compressed sizes. */
  size: number;
  platform: Platform;
  lastTagTime?: string;
  /** ID of the image this one was built from (local builds only, as Docker's parent links). */
  parent?: string;
}

type StoredImage = Omit<ImageRecord, 'repoTags' | 'repoDigests'>;

export interface Lease {
  release(): void;
  /**
   * Releases the lease of an operation that failed, and removes what it left behind: the blobs that
   * appeared while it was held (for an `undoable` lease) and that no image reaches. Another open
   * lease may be about to use such a blob (a concurrent pull of the same layer), so while one is
   * open the removal waits for the last one to go, in the background.
   */
  abandon(): Promise<void>;
}

const RECORD_PREFIX = 'image/records/';
const REFERENCES_KEY = 'image/references';
export const ZERO_TIME = '0001-01-01T00:00:00Z';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The key a reference is stored under: tag refs with their default tag, digest refs without tag. */
export function normalizeReference(s: string): { key: string; ref: Reference; kind: 'tag' | 'digest' } {
  const ref = parseReference(s);
  if (ref.digest !== undefined) {
    const canonical: Reference = { domain: ref.domain, path: ref.path, digest: ref.digest };
    return { key: referenceString(canonical), ref: canonical, kind: 'digest' };
  }
  const tagged = withDefaultTag(ref);
  return { key: referenceString(tagged), ref: tagged, kind: 'tag' };
}

export function noSuchImage(what: string): BerthError {
  return new BerthError('not_found', `No such image: ${what}`);
}

function byFamiliar(a: string, b: string): number {
  const fa = familiarString(parseReference(a)), fb = familiarString(parseReference(b));
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

export class ImageStore {
  readonly kv: MetadataStore;
  readonly blobs: BlobStore;
  private readonly now: () => Date;
  private readonly mutex = new AsyncMutex();
  private state: Promise<{ images: Map<string, StoredImage>; refs: Map<string, string> }> | undefined;
  // Leases keep gc away from blobs written for an image whose record is not stored yet.
  private leases = 0;
  private leaseWaiters: (() => void)[] = [];
  private sweeping: Promise<unknown> | undefined;
  // Blobs of abandoned operations, removed (if still unreferenced) when no lease is open.
  private abandoned = new Set<string>();
  private abandonedSweep: Promise<void> | undefined;

  constructor(kv: MetadataStore, blobs: BlobStore, opts: { now?: () => Date } = {}) {
    this.kv = kv;
    this.blobs = blobs;
    this.now = opts.now ?? (() => new Date());
  }

  private load() {
    this.state ??= (async () => {
      const images = new Map<string, StoredImage>();
      for (const key of await this.kv.keys(RECORD_PREFIX)) {
        const raw = await this.kv.get(key);
        if (!raw) continue;
        try {
          const rec = JSON.parse(dec.decode(raw)) as StoredImage;
          if (typeof rec.id === 'string' && rec.manifest) images.set(rec.id, rec);
        } catch { /* a record that cannot be read is left on disk for inspection, not served */ }
      }
      const refs = new Map<string, string>();
      const raw = await this.kv.get(REFERENCES_KEY);
      if (raw) {
        const doc = JSON.parse(dec.decode(raw)) as { refs?: Record<string, string> };
        for (const [k, id] of Object.entries(doc.refs ?? {})) {
          // A reference to a record that is gone (removed by hand) is dropped rather than served.
          if (images.has(id)) refs.set(k, id);
        }
      }
      return { images, refs };
    })();
    // A failed load (unreadable store) is retried on the next call instead of being cached.
    this.state.catch(() => { this.state = undefined; });
    return this.state;
  }

  private async saveRefs(refs: Map<string, string>): Promise<void> {
    const doc = { refs: Object.fromEntries([...refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
    await this.kv.put(REFERENCES_KEY, enc.encode(JSON.stringify(doc, null, 1)));
  }

  private async saveImage(img: StoredImage): Promise<void> {
    await this.kv.put(RECORD_PREFIX + img.id, enc.encode(JSON.stringify(img)));
  }

  private view(img: StoredImage, refs: Map<string, string>): ImageRecord {
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (const [k, id] of refs) {
      if (id !== img.id) continue;
      (k.includes('@') ? repoDigests : repoTags).push(k);
    }
    return structuredClone({ ...img, repoTags: repoTags.sort(byFamiliar), repoDigests: repoDigests.sort(byFamiliar) });
  }

  /** Every image, newest first. */
  async list(): Promise<ImageRecord[]> {
    const { images, refs } = await this.load();
    return [...images.values()].map((i) => this.view(i, refs))
      .sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.id < b.id ? -1 : 1));
  }

  async get(id: string): Promise<ImageRecord | undefined> {
    const { images, refs } = await this.load();
    const img = images.get(id);
    return img ? this.view(img, refs) : undefined;
  }

  /**
   * Finds an image the way Docker's daemon does: a full ID; else the reference (`busybox` means
   * `busybox:latest`, `name@digest` matches a repo digest, a tag with a digest looks up the digest
   * only); else a unique ID prefix of at least one hex digit. Ambiguous prefixes are an error.
   */
  async resolve(nameOrId: string): Promise<ImageRecord> {
    const { images, refs } = await this.load();
    const any = parseAnyReference(nameOrId);
    if (any.kind === 'id') {
      const img = images.get(any.id);
      if (!img) throw noSuchImage(any.id);
      return this.view(img, refs);
    }
    const { key, ref } = normalizeReference(nameOrId);
    const id = refs.get(key);
    if (id !== undefined) {
      const img = images.get(id);
      if (img) return this.view(img, refs);
    }
    const hex = /^(?:sha256:)?([a-f0-9]{1,64})$/.exec(nameOrId)?.[1];
    if (hex !== undefined) {
      const matches = [...images.keys()].filter((i) => i.startsWith(`sha256:${hex}`));
      if (matches.length === 1) return this.view(images.get(matches[0]!)!, refs);
      if (matches.length > 1) {
        throw new BerthError('not_found',
          `No such image: ${nameOrId}: the ID prefix is ambiguous (it matches ${matches.length} images); give more digits`);
      }
    }
    throw noSuchImage(familiarString(ref));
  }

  /** Tags and digests that point at `id`, as full references. */
  async references(id: string): Promise<string[]> {
    const { refs } = await this.load();
    return [...refs].filter(([, v]) => v === id).map(([k]) => k).sort(byFamiliar);
  }

  /**
   * Stores an image record and points its repoTags and repoDigests at it (added to the ones it
   * already has; a tag that pointed at another image moves, and that image stays, untagged). The
   * manifest and config blobs must already be in the blob store.
   */
  async put(record: ImageRecord): Promise<ImageRecord> {
    parseDigest(record.id);
    const want = [...record.repoTags, ...record.repoDigests].map((r) => normalizeReference(r));
    for (const r of record.repoTags) {
      if (normalizeReference(r).kind !== 'tag') throw new BerthError('invalid_argument', `repoTags entry ${r} has a digest; put it in repoDigests`);
    }
    for (const r of record.repoDigests) {
      if (normalizeReference(r).kind !== 'digest') throw new BerthError('invalid_argument', `repoDigests entry ${r} has no digest`);
    }
    for (const d of [record.manifest.digest, record.id, record.index?.digest]) {
      if (d !== undefined && !(await this.blobs.info(d))) {
        throw new BerthError('internal', `cannot record image ${record.id}: blob ${d} is not in the content store`);
      }
    }
    return this.mutex.run(async () => {
      const { images, refs } = await this.load();
      const { repoTags: _t, repoDigests: _d, ...stored } = structuredClone(record);
      if (stored.parent === undefined) delete stored.parent;
      if (stored.index === undefined) delete stored.index;
      if (stored.lastTagTime === undefined) {
        const prev = images.get(record.id)?.lastTagTime;
        if (prev !== undefined) stored.lastTagTime = prev; else delete stored.lastTagTime;
      }
      await this.saveImage(stored);
      images.set(stored.id, stored);
      const next = new Map(refs);
      for (const w of want) next.set(w.key, record.id);
      if (!sameMap(next, refs)) {
        await this.saveRefs(next);
        replaceMap(refs, next);
      }
      return this.view(stored, refs);
    });
  }

  /** Points `ref` (a tag; `latest` when none is given) at image `id`, moving it if it pointed elsewhere. */
  async tag(id: string, ref: string): Promise<ImageRecord> {
    const parsed = parseReference(ref);
    if (parsed.digest !== undefined) throw new BerthError('invalid_argument', 'refusing to create a tag with a digest reference');
    const { key } = normalizeReference(ref);
    return this.mutex.run(async () => {
      const { images, refs } = await this.load();
      const img = images.get(id);
      if (!img) throw noSuchImage(id);
      const updated = { ...img, lastTagTime: this.now().toISOString() };
      await this.saveImage(updated);
      images.set(id, updated);
      if (refs.get(key) !== id) {
        const next = new Map(refs);
        next.set(key, id);
        await this.saveRefs(next);
        replaceMap(refs, next);
      }
      return this.view(updated, refs);
    });
  }

  /** Removes one tag or digest reference; returns the ID it pointed at, or undefined if none. */
  async untag(ref: string): Promise<string | undefined> {
    const { key } = normalizeReference(ref);
    return this.mutex.run(async () => {
      const { refs } = await this.load();
      const id = refs.get(key);
      if (id === undefined) return undefined;
      const next = new Map(refs);
      next.delete(key);
      await this.saveRefs(next);
      replaceMap(refs, next);
      return id;
    });
  }

  /** Removes the record and every reference to it (blobs stay until gc). */
  async remove(id: string): Promise<void> {
    await this.mutex.run(async () => {
      const { images, refs } = await this.load();
      if (!images.has(id)) throw noSuchImage(id);
      const next = new Map([...refs].filter(([, v]) => v !== id));
      if (next.size !== refs.size) {
        await this.saveRefs(next);
        replaceMap(refs, next);
      }
      await this.kv.delete(RECORD_PREFIX + id);
      images.delete(id);
    });
  }

  async children(id: string): Promise<ImageRecord[]> {
    return (await this.list()).filter((r) => r.parent === id);
  }

  async parent(id: string): Promise<ImageRecord | undefined> {
    const rec = await this.get(id);
    return rec?.parent ? this.get(rec.parent) : undefined;
  }

  /**
   * Taken by anything that writes blobs for an image it has not recorded yet (pull, load, build):
   * gc waits until every lease is released, so it never collects blobs that are about to be used.
   * An `undoable` lease notes the blobs present when it is taken, so that `abandon` knows which
   * ones the failed operation brought in.
   */
  async lease(opts: { undoable?: boolean } = {}): Promise<Lease> {
    while (this.sweeping) await this.sweeping.catch(() => {});
    this.leases++;
    let before: Set<string> | undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.leases--;
      if (this.leases > 0) return;
      if (this.abandoned.size) this.abandonedSweep = this.sweepAbandoned();
      for (const w of this.leaseWaiters.splice(0)) w();
    };
    if (opts.undoable) {
      try {
        before = await this.blobDigests();
      } catch (e) {
        release();
        throw e;
      }
    }
    return {
      release,
      abandon: async () => {
        if (released) return;
        if (before) for (const d of await this.blobDigests()) if (!before.has(d)) this.abandoned.add(d);
        release();
        if (this.leases === 0) await this.abandonedSweep;
      },
    };
  }

  private async blobDigests(): Promise<Set<string>> {
    const out = new Set<string>();
    for await (const b of this.blobs.list()) out.add(b.digest);
    return out;
  }

  /** Every blob an image record reaches: its index and nested indexes, manifests, configs, layers. */
  private async reachable(extraRoots: Iterable<string> = []): Promise<Set<string>> {
    const { images } = await this.load();
    const marked = new Set<string>(extraRoots);
    for (const img of images.values()) {
      marked.add(img.id);
      if (img.index) await this.mark(img.index.digest, marked);
      await this.mark(img.manifest.digest, marked);
    }
    return marked;
  }

  // Runs as a sweep, so no lease can be taken (and no operation start using a blob) meanwhile.
  private sweepAbandoned(): Promise<void> {
    const candidates = [...this.abandoned];
    this.abandoned.clear();
    const run = this.mutex.run(async () => {
      const marked = await this.reachable();
      for (const d of candidates) if (!marked.has(d)) await this.blobs.delete(d);
    });
    this.sweeping = run;
    const done = run.then(() => {}, () => { /* left for the next gc, which reports its own errors */ })
      .finally(() => { if (this.sweeping === run) this.sweeping = undefined; });
    return done;
  }

  /**
   * Deletes every blob that no image record reaches (index, nested indexes, manifests, configs,
   * layers) and that is not in `extraRoots`. Waits for open leases first.
   */
  async gc(opts: { extraRoots?: Iterable<string> } = {}): Promise<{ removed: BlobInfo[] }> {
    while (this.sweeping) await this.sweeping.catch(() => {});
    while (this.leases > 0) await new Promise<void>((r) => this.leaseWaiters.push(r));
    if (this.sweeping) return this.gc(opts);
    const run = this.mutex.run(async () => {
      const marked = await this.reachable(opts.extraRoots);
      const removed: BlobInfo[] = [];
      const doomed: BlobInfo[] = [];
      for await (const b of this.blobs.list()) if (!marked.has(b.digest)) doomed.push(b);
      for (const b of doomed) {
        await this.blobs.delete(b.digest);
        removed.push(b);
      }
      return { removed };
    });
    this.sweeping = run;
    try {
      return await run;
    } finally {
      if (this.sweeping === run) this.sweeping = undefined;
    }
  }

  /** Marks a manifest or index and everything below it that is present. */
  private async mark(digest: string, marked: Set<string>): Promise<void> {
    if (marked.has(digest)) return;
    marked.add(digest);
    let raw: Uint8Array;
    try {
      raw = await this.blobs.readBytes(digest);
    } catch (e) {
      // A missing manifest has nothing to walk; anything else (corruption) stops the sweep, since
      // deleting without knowing what it referenced could break an image.
      if (isNotFound(e)) return;
      throw e;
    }
    let doc: { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[]; subject?: Descriptor };
    try {
      doc = JSON.parse(dec.decode(raw));
    } catch {
      return;
    }
    if (Array.isArray(doc.manifests)) {
      for (const m of doc.manifests) if (typeof m?.digest === 'string') await this.mark(m.digest, marked);
    }
    if (typeof doc.config?.digest === 'string') marked.add(doc.config.digest);
    if (Array.isArray(doc.layers)) for (const l of doc.layers) if (typeof l?.digest === 'string') marked.add(l.digest);
  }
}

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function replaceMap(target: Map<string, string>, source: Map<string, string>): void {
  target.clear();
  for (const [k, v] of source) target.set(k, v);
}
