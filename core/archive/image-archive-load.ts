// `docker load`: reads a docker-archive (Docker 25+'s, older ones with <id>/layer.tar, skopeo's) or
// an OCI image layout tar, plain or gzip/zstd-compressed. Entries stream straight into the blob
// store as they arrive (a layer is never held in memory); manifest.json / index.json are resolved
// at the end. Nothing here touches the image store: the caller records the images it returns, so
// a bad archive leaves only unreferenced blobs for gc.
import type { Codecs, HashFactory } from '../host.ts';
import type { BlobInfo, BlobStore } from '../content/blob-store.ts';
import type { Descriptor, ImageConfig, Manifest, Platform } from '../image/types.ts';
import { ingestBlob, collect } from '../content/ingest.ts';
import { readTar } from '../layer/tar-read.ts';
import { decompressStream, peek, detectCompression } from '../layer/compression.ts';
import { computeDiffID } from '../layer/diffid.ts';
import { parseImageConfig, parseManifestBytes } from '../image/parse.ts';
import { MediaType, isIndexMediaType } from '../image/media-types.ts';
import { matchingManifests } from '../image/platform.ts';
import { digestBytes, isDigest } from '../digest.ts';
import { BerthError, isNotFound } from '../errors.ts';
import { parseReference, referenceString, withDefaultTag } from '../reference/reference.ts';
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME } from './image-archive-write.ts';

export interface LoadedImage {
  /** The platform manifest now in the blob store. */
  manifest: Descriptor;
  /** The config digest: the image ID. */
  config: string;
  /** Full normalized references (`docker.io/library/busybox:latest`). */
  repoTags: string[];
  /** The index the manifest was found through (OCI layouts of multi-platform images). */
  index?: Descriptor;
  /** Uncompressed tar sizes by diffID, as measured while loading. */
  layerSizes: Map<string, number>;
}

export interface LoadArchiveOptions {
  /** Which platform to take from a multi-platform index; the first present one when not given. */
  platform?: Platform;
}

const META_FILES = new Set(['manifest.json', 'index.json', 'oci-layout', 'repositories']);
const MAX_JSON = 32 * 1024 * 1024;
const MAX_LINK_HOPS = 16;
const BLOB_PATH_RE = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/;
const enc = new TextEncoder();
const dec = new TextDecoder();

function invalid(message: string, cause?: unknown): BerthError {
  return new BerthError('invalid_argument', `invalid archive: ${message}`, cause !== undefined ? { cause } : undefined);
}

/** Archive member names as a map key: no leading `./` or `/`, `.` and `..` resolved. */
function cleanPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') { if (out.length) out.pop(); else out.push('..'); continue; }
    out.push(part);
  }
  return out.join('/');
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(dec.decode(bytes));
  } catch (e) {
    throw invalid(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function normalizeTag(t: string, where: string): string {
  try {
    const r = parseReference(t);
    if (r.digest !== undefined) throw invalid(`${where}: ${t} is a digest reference, not a tag`);
    return referenceString(withDefaultTag(r));
  } catch (e) {
    if (e instanceof BerthError && e.code === 'invalid_reference') throw invalid(`${where}: bad image name ${JSON.stringify(t)}: ${e.message}`);
    throw e;
  }
}

interface Contents {
  files: Map<string, BlobInfo>;
  json: Map<string, Uint8Array>;
  links: Map<string, string>;
}

async function readEntries(tar: ReadableStream<Uint8Array>, blobs: BlobStore, codecs: Codecs, hash: HashFactory): Promise<Contents> {
  const files = new Map<string, BlobInfo>();
  const json = new Map<string, Uint8Array>();
  const links = new Map<string, string>();
  let entries = 0;
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = await decompressStream(tar, codecs);
  } catch (e) {
    throw e instanceof BerthError ? invalid(e.message, e) : e;
  }
  try {
    for await (const e of readTar(stream)) {
      entries++;
      const name = cleanPath(e.name);
      if (e.type === 'symlink') { links.set(name, cleanPath(`${dirname(name)}/${e.linkname}`)); continue; }
      if (e.type === 'hardlink') { links.set(name, cleanPath(e.linkname)); continue; }
      if (e.type !== 'file') continue;
      const m = BLOB_PATH_RE.exec(name);
      if (m && isDigest(`${m[1]}:${m[2]}`)) {
        files.set(name, await blobs.write({ digest: `${m[1]}:${m[2]}`, size: e.size }, async () => e.body));
      } else if (META_FILES.has(name) || (name.endsWith('.json') && !name.includes('/') && e.size <= MAX_JSON)) {
        if (e.size > MAX_JSON) throw invalid(`${name} is ${e.size} bytes, too large for metadata`);
        json.set(name, await collect(e.body));
      } else if (/^[^/]+\/(json|VERSION)$/.test(name)) {
        // Docker's legacy v1 layer metadata: not needed to load the image.
      } else {
        files.set(name, await ingestBlob(blobs, e.body, hash));
      }
    }
  } catch (e) {
    if (e instanceof BerthError && (e.code === 'invalid_layer' || e.code === 'unsupported')) {
      throw invalid(entries === 0 ? `not a tar archive (${e.message})` : e.message, e);
    }
    throw e;
  }
  if (entries === 0) throw invalid('the archive is empty');
  return { files, json, links };
}

class Resolver {
  constructor(private readonly c: Contents, private readonly blobs: BlobStore) {}

  private follow(path: string): string {
    let p = cleanPath(path);
    for (let i = 0; i < MAX_LINK_HOPS; i++) {
      const next = this.c.links.get(p);
      if (next === undefined) return p;
      p = next;
    }
    throw invalid(`too many levels of links at ${path}`);
  }

  blob(path: string): BlobInfo | undefined {
    return this.c.files.get(this.follow(path));
  }

  async bytes(path: string): Promise<Uint8Array | undefined> {
    const p = this.follow(path);
    const j = this.c.json.get(p);
    if (j) return j;
    const f = this.c.files.get(p);
    return f ? this.blobs.readBytes(f.digest) : undefined;
  }
}

/** Writes small JSON documents (configs, synthesized manifests) as blobs. */
async function putBytes(blobs: BlobStore, hash: HashFactory, bytes: Uint8Array): Promise<string> {
  const digest = digestBytes(hash, bytes);
  await blobs.write({ digest, size: bytes.byteLength }, bytes);
  return digest;
}

async function readBlobIfPresent(blobs: BlobStore, digest: string): Promise<Uint8Array | undefined> {
  try {
    return await blobs.readBytes(digest);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The layer descriptor for a file of a docker-archive, checking it unpacks to `diffID`. */
async function layerDescriptor(blobs: BlobStore, info: BlobInfo, diffID: string, path: string, codecs: Codecs, hash: HashFactory): Promise<{ desc: Descriptor; size: number }> {
  if (info.digest === diffID) return { desc: { mediaType: MediaType.OCILayer, digest: info.digest, size: info.size }, size: info.size };
  const { head, rest } = await peek(await blobs.read(info.digest), 10);
  const compression = detectCompression(head);
  const tar = await decompressStream(rest, codecs);
  const { diffID: actual, size } = await computeDiffID(tar, hash);
  if (actual !== diffID) {
    throw new BerthError('digest_mismatch', `invalid archive: layer ${path} has diffID ${actual}, but the image config expects ${diffID}`);
  }
  const mediaType = compression === 'gzip' ? MediaType.OCILayerGzip : compression === 'zstd' ? MediaType.OCILayerZstd : MediaType.OCILayer;
  return { desc: { mediaType, digest: info.digest, size: info.size }, size };
}

interface ManifestItem { Config: string; RepoTags?: string[] | null; Layers: string[]; LayerSources?: Record<string, Descriptor> }

function checkManifestJson(doc: unknown): ManifestItem[] {
  if (!Array.isArray(doc)) throw invalid('manifest.json must be a JSON array of images');
  return doc.map((it: unknown, i) => {
    const o = it as Record<string, unknown>;
    if (typeof o !== 'object' || o === null) throw invalid(`manifest.json entry ${i} is not an object`);
    if (typeof o.Config !== 'string') throw invalid(`manifest.json entry ${i} has no Config path`);
    if (!Array.isArray(o.Layers) || !o.Layers.every((l) => typeof l === 'string')) throw invalid(`manifest.json entry ${i}: Layers must be a list of paths`);
    if (o.RepoTags != null && (!Array.isArray(o.RepoTags) || !o.RepoTags.every((t) => typeof t === 'string'))) {
      throw invalid(`manifest.json entry ${i}: RepoTags must be a list of names`);
    }
    return o as unknown as ManifestItem;
  });
}

/** Docker 25+ archives also carry the original OCI manifest; reuse it when it matches, keeping its digest. */
async function existingManifests(c: Contents, blobs: BlobStore): Promise<Map<string, { desc: Descriptor; manifest: Manifest }>> {
  const out = new Map<string, { desc: Descriptor; manifest: Manifest }>();
  const raw = c.json.get('index.json');
  if (!raw) return out;
  try {
    const idx = parseManifestBytes(raw);
    if (idx.kind !== 'index') return out;
    for (const d of idx.index.manifests) {
      const bytes = await readBlobIfPresent(blobs, d.digest);
      if (!bytes) continue;
      const m = parseManifestBytes(bytes, d.mediaType);
      if (m.kind === 'manifest') out.set(m.manifest.config.digest, { desc: { mediaType: m.mediaType, digest: d.digest, size: bytes.byteLength }, manifest: m.manifest });
    }
  } catch { /* the docker-archive half is authoritative; a bad OCI half is ignored */ }
  return out;
}

async function loadDockerArchive(c: Contents, r: Resolver, blobs: BlobStore, codecs: Codecs, hash: HashFactory): Promise<LoadedImage[]> {
  const items = checkManifestJson(parseJson(c.json.get('manifest.json')!, 'manifest.json'));
  if (items.length === 0) throw invalid('manifest.json lists no images');
  const oci = await existingManifests(c, blobs);
  const out: LoadedImage[] = [];
  for (const item of items) {
    const configBytes = await r.bytes(item.Config);
    if (!configBytes) throw invalid(`config ${item.Config} listed in manifest.json is missing from the archive`);
    let config: ImageConfig;
    try {
      config = parseImageConfig(configBytes);
    } catch (e) {
      throw invalid(`${item.Config}: ${(e as Error).message}`, e);
    }
    const configDigest = await putBytes(blobs, hash, configBytes);
    const diffIDs = config.rootfs.diff_ids;
    if (item.Layers.length !== diffIDs.length) {
      throw invalid(`manifest.json lists ${item.Layers.length} layers for ${item.Config}, but its config has ${diffIDs.length} diff_ids`);
    }
    const layers: Descriptor[] = [];
    const layerSizes = new Map<string, number>();
    for (let i = 0; i < item.Layers.length; i++) {
      const path = item.Layers[i]!;
      const diffID = diffIDs[i]!;
      const info = r.blob(path);
      if (!info) {
        const foreign = item.LayerSources?.[diffID];
        if (foreign) { layers.push(foreign); continue; }
        throw invalid(`layer ${path} listed in manifest.json is missing from the archive`);
      }
      const { desc, size } = await layerDescriptor(blobs, info, diffID, path, codecs, hash);
      layers.push(desc);
      layerSizes.set(diffID, size);
    }
    const repoTags = (item.RepoTags ?? []).map((t) => normalizeTag(t, 'manifest.json'));
    let manifest: Descriptor;
    const prior = oci.get(configDigest);
    if (prior && prior.manifest.layers.length === layers.length && prior.manifest.layers.every((l, i) => l.digest === layers[i]!.digest)) {
      manifest = prior.desc;
    } else {
      const bytes = enc.encode(JSON.stringify({
        schemaVersion: 2, mediaType: MediaType.OCIManifest,
        config: { mediaType: MediaType.OCIConfig, digest: configDigest, size: configBytes.byteLength },
        layers,
      }));
      manifest = { mediaType: MediaType.OCIManifest, digest: await putBytes(blobs, hash, bytes), size: bytes.byteLength };
    }
    out.push({ manifest, config: configDigest, repoTags, layerSizes });
  }
  return out;
}

function namesFromAnnotations(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  const full = a[ANNOTATION_IMAGE_NAME];
  if (full) return [normalizeTag(full, 'index.json')];
  const ref = a[ANNOTATION_REF_NAME];
  // A bare tag (`latest`) names no repository: such an image loads untagged, as in Docker.
  if (ref && /[:/]/.test(ref)) {
    try { return [normalizeTag(ref, 'index.json')]; } catch { return []; }
  }
  return [];
}

async function checkImagePresent(blobs: BlobStore, desc: Descriptor): Promise<{ config: string; layerSizes: Map<string, number> }> {
  const bytes = await readBlobIfPresent(blobs, desc.digest);
  if (!bytes) throw invalid(`manifest ${desc.digest} listed in index.json is missing from the archive`);
  const m = parseManifestBytes(bytes, desc.mediaType);
  if (m.kind !== 'manifest') throw invalid(`${desc.digest} is not an image manifest`);
  const configBytes = await readBlobIfPresent(blobs, m.manifest.config.digest);
  if (!configBytes) throw invalid(`config ${m.manifest.config.digest} of manifest ${desc.digest} is missing from the archive`);
  const config = parseImageConfig(configBytes);
  if (config.rootfs.diff_ids.length !== m.manifest.layers.length) {
    throw invalid(`manifest ${desc.digest} has ${m.manifest.layers.length} layers but its config lists ${config.rootfs.diff_ids.length} diff_ids`);
  }
  const layerSizes = new Map<string, number>();
  for (const [i, l] of m.manifest.layers.entries()) {
    const info = await blobs.info(l.digest);
    if (!info) {
      if (l.mediaType === MediaType.DockerForeignLayer || (l.urls?.length ?? 0) > 0) continue;
      throw invalid(`layer ${l.digest} of manifest ${desc.digest} is missing from the archive`);
    }
    if (l.digest === config.rootfs.diff_ids[i]) layerSizes.set(l.digest, info.size);
  }
  return { config: m.manifest.config.digest, layerSizes };
}

/**
 * The images of an OCI image layout whose blobs are already in `blobs` (from an archive, or copied
 * from a directory by the host): index.json's entries, nested indexes resolved to one platform.
 */
export async function resolveOciLayout(
  indexJson: Uint8Array, layout: Uint8Array | undefined, blobs: BlobStore, opts: LoadArchiveOptions = {},
): Promise<LoadedImage[]> {
  if (layout) {
    const doc = parseJson(layout, 'oci-layout') as { imageLayoutVersion?: unknown };
    if (typeof doc?.imageLayoutVersion !== 'string') throw invalid('oci-layout has no imageLayoutVersion');
  }
  let index;
  try {
    index = parseManifestBytes(indexJson);
  } catch (e) {
    throw invalid(`index.json: ${(e as Error).message}`, e);
  }
  if (index.kind !== 'index') throw invalid('index.json is not an image index');
  const out: LoadedImage[] = [];
  for (const d of index.index.manifests) {
    const repoTags = namesFromAnnotations(d);
    if (isIndexMediaType(d.mediaType)) {
      const raw = await readBlobIfPresent(blobs, d.digest);
      if (!raw) throw invalid(`index ${d.digest} listed in index.json is missing from the archive`);
      const nested = parseManifestBytes(raw, d.mediaType);
      if (nested.kind !== 'index') throw invalid(`${d.digest} is not an index`);
      const present: Descriptor[] = [];
      for (const m of nested.index.manifests) if (!isIndexMediaType(m.mediaType) && (await blobs.info(m.digest))) present.push(m);
      const candidates = opts.platform ? matchingManifests({ ...nested.index, manifests: present }, opts.platform) : present;
      const chosen = candidates.find((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
      if (!chosen) throw invalid(`index ${d.digest} has no image${opts.platform ? ' for the requested platform' : ''} whose manifest is in the archive`);
      const { config, layerSizes } = await checkImagePresent(blobs, chosen);
      out.push({ manifest: { mediaType: chosen.mediaType, digest: chosen.digest, size: chosen.size }, config, repoTags, index: { mediaType: d.mediaType, digest: d.digest, size: d.size }, layerSizes });
    } else {
      const { config, layerSizes } = await checkImagePresent(blobs, d);
      out.push({ manifest: { mediaType: d.mediaType, digest: d.digest, size: d.size }, config, repoTags, layerSizes });
    }
  }
  if (out.length === 0) throw invalid('index.json lists no images');
  return out;
}

export async function loadImageArchive(
  tar: ReadableStream<Uint8Array>, blobs: BlobStore, codecs: Codecs, hash: HashFactory, opts: LoadArchiveOptions = {},
): Promise<{ images: LoadedImage[] }> {
  const contents = await readEntries(tar, blobs, codecs, hash);
  const resolver = new Resolver(contents, blobs);
  if (contents.json.has('manifest.json')) return { images: await loadDockerArchive(contents, resolver, blobs, codecs, hash) };
  const indexJson = contents.json.get('index.json');
  if (indexJson) return { images: await resolveOciLayout(indexJson, contents.json.get('oci-layout'), blobs, opts) };
  if (contents.json.has('repositories')) {
    throw invalid('this is a pre-1.10 Docker archive (repositories without manifest.json), which berth cannot load; save it again with a newer Docker');
  }
  throw invalid('it contains neither manifest.json (docker save) nor index.json (OCI image layout)');
}
