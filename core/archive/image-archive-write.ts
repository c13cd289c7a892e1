// `docker save`: one tar that is both a docker-archive (manifest.json, repositories) and an OCI
// image layout (oci-layout, index.json, blobs/sha256/...), as Docker 25+ writes it. Layers go in
// uncompressed, named by their diffID, because that is what `docker load` expects of both halves.
import type { Codecs, HashFactory } from '../host.ts';
import type { Image, Layer } from '../image/image.ts';
import type { Descriptor, ImageConfig, Platform } from '../image/types.ts';
import { MediaType } from '../image/media-types.ts';
import { TarWriter } from '../layer/tar-write.ts';
import { compressionOfMediaType, decompressStream } from '../layer/compression.ts';
import { computeDiffID } from '../layer/diffid.ts';
import { digestBytes, parseDigest, verifyingStream } from '../digest.ts';
import { BerthError } from '../errors.ts';
import { familiarName, familiarString, parseReference, referenceString, withDefaultTag, type Reference } from '../reference/reference.ts';

export interface ArchiveImage {
  image: Image;
  /** Tags to record (full or familiar, `latest` added when missing); digest references are skipped, as Docker. */
  repoTags: string[];
}

export interface WriteArchiveOptions {
  codecs: Codecs;
  hash: HashFactory;
  /** Uncompressed tar sizes by diffID where the caller knows them; others are measured by a first read. */
  knownSizes?: ReadonlyMap<string, number>;
}

/** containerd's and OCI's annotations that carry the image name in index.json. */
export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
const OCI_LAYOUT = '{"imageLayoutVersion": "1.0.0"}';
const EPOCH = new Date(0);
const enc = new TextEncoder();

interface PlannedImage {
  id: string;
  rawConfig: Uint8Array;
  config: ImageConfig;
  refs: Reference[];
  manifest: Uint8Array;
  manifestDigest: string;
  platform: Platform;
  diffIDs: string[];
}

interface PlannedLayer {
  layer: Layer;
  diffID: string;
  size: number;
  mtime: Date;
}

// Go's encoding/json field order for ocispec.Platform and Descriptor, so our bytes match Docker's.
function platformJson(p: Platform): Platform {
  const out: Record<string, unknown> = { architecture: p.architecture, os: p.os };
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']?.length) out['os.features'] = p['os.features'];
  if (p.variant) out.variant = p.variant;
  return out as unknown as Platform;
}

function platformOf(config: ImageConfig): Platform {
  return platformJson({
    architecture: config.architecture, os: config.os,
    ...(config['os.version'] ? { 'os.version': config['os.version'] } : {}),
    ...(config['os.features'] ? { 'os.features': config['os.features'] } : {}),
    ...(config.variant ? { variant: config.variant } : {}),
  });
}

function hexOf(digest: string): string {
  return parseDigest(digest).hex;
}

function blobPath(digest: string): string {
  const p = parseDigest(digest);
  return `blobs/${p.algorithm}/${p.hex}`;
}

function sortedKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function createdOf(config: ImageConfig): Date {
  const t = config.created ? Date.parse(config.created) : NaN;
  return Number.isNaN(t) ? EPOCH : new Date(t);
}

/** Size of the uncompressed tar: free for uncompressed layers, one decompressing read otherwise. */
async function measure(layer: Layer, diffID: string, opts: WriteArchiveOptions): Promise<number> {
  const known = opts.knownSizes?.get(diffID);
  if (known !== undefined) return known;
  const [digest, mediaType] = await Promise.all([layer.digest(), layer.mediaType()]);
  if (digest === diffID && compressionOfMediaType(mediaType) !== 'gzip' && compressionOfMediaType(mediaType) !== 'zstd') {
    return layer.size();
  }
  const { diffID: actual, size } = await computeDiffID(await decompressStream(await layer.compressed(), opts.codecs), opts.hash);
  if (actual !== diffID) {
    throw new BerthError('digest_mismatch', `layer ${digest} does not unpack to its diffID: expected ${diffID}, got ${actual}`);
  }
  return size;
}

async function plan(images: ArchiveImage[], opts: WriteArchiveOptions): Promise<{ planned: PlannedImage[]; layers: Map<string, PlannedLayer> }> {
  const byId = new Map<string, PlannedImage>();
  const layers = new Map<string, PlannedLayer>();
  for (const { image, repoTags } of images) {
    const id = await image.configName();
    const refs: Reference[] = [];
    for (const t of repoTags) {
      const r = parseReference(t);
      if (r.digest !== undefined) continue;
      refs.push(withDefaultTag(r));
    }
    const existing = byId.get(id);
    if (existing) {
      for (const r of refs) if (!existing.refs.some((e) => referenceString(e) === referenceString(r))) existing.refs.push(r);
      continue;
    }
    const rawConfig = await image.rawConfigFile();
    const config = await image.configFile();
    const diffIDs = config.rootfs.diff_ids;
    const imageLayers = await image.layers();
    if (imageLayers.length !== diffIDs.length) {
      throw new BerthError('invalid_manifest', `image ${id} has ${imageLayers.length} layers but its config lists ${diffIDs.length} diff_ids`);
    }
    const layerDescs: Descriptor[] = [];
    for (let i = 0; i < diffIDs.length; i++) {
      const diffID = diffIDs[i]!;
      let pl = layers.get(diffID);
      if (!pl) {
        pl = { layer: imageLayers[i]!, diffID, size: await measure(imageLayers[i]!, diffID, opts), mtime: createdOf(config) };
        layers.set(diffID, pl);
      }
      layerDescs.push({ mediaType: MediaType.OCILayer, digest: diffID, size: pl.size });
    }
    const platform = platformOf(config);
    const manifest = enc.encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OCIManifest,
      config: { mediaType: MediaType.OCIConfig, digest: id, size: rawConfig.byteLength, platform },
      layers: layerDescs,
    }));
    byId.set(id, { id, rawConfig, config, refs, manifest, manifestDigest: digestBytes(opts.hash, manifest), platform, diffIDs });
  }
  return { planned: [...byId.values()], layers };
}

/**
 * The archive as a stream. Everything but the layers is computed up front (small), so entries come
 * out in the order Docker's directory walk gives them: blobs sorted by digest, then index.json,
 * manifest.json, oci-layout, repositories. Each layer streams through once, verified against its
 * diffID and size; a layer that fails verification ends the stream with an error.
 */
export function writeImageArchive(images: ArchiveImage[], opts: WriteArchiveOptions): ReadableStream<Uint8Array> {
  const w = new TarWriter();
  (async () => {
    const { planned, layers } = await plan(images, opts);
    type Blob = { digest: string; mtime: Date; bytes?: Uint8Array; layer?: PlannedLayer };
    const blobs = new Map<string, Blob>();
    for (const img of planned) {
      blobs.set(img.id, { digest: img.id, mtime: createdOf(img.config), bytes: img.rawConfig });
      blobs.set(img.manifestDigest, { digest: img.manifestDigest, mtime: EPOCH, bytes: img.manifest });
    }
    for (const l of layers.values()) if (!blobs.has(l.diffID)) blobs.set(l.diffID, { digest: l.diffID, mtime: l.mtime, layer: l });

    const dir = (name: string) => w.add({ name, type: 'directory', mode: 0o755, mtime: EPOCH });
    await dir('blobs/');
    await dir('blobs/sha256/');
    for (const b of [...blobs.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1))) {
      if (b.bytes) {
        await w.add({ name: blobPath(b.digest), mode: 0o644, mtime: b.mtime }, b.bytes);
      } else {
        const l = b.layer!;
        const tar = await decompressStream(await l.layer.compressed(), opts.codecs);
        await w.add({ name: blobPath(l.diffID), mode: 0o644, size: l.size, mtime: l.mtime },
          tar.pipeThrough(verifyingStream(opts.hash, l.diffID, l.size)));
      }
    }

    const indexManifests: Descriptor[] = [];
    const manifestJson: Record<string, unknown>[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const img of planned) {
      const desc = { mediaType: MediaType.OCIManifest, digest: img.manifestDigest, size: img.manifest.byteLength };
      for (const r of img.refs) {
        indexManifests.push({
          ...desc,
          annotations: { [ANNOTATION_IMAGE_NAME]: referenceString(r), [ANNOTATION_REF_NAME]: r.tag! },
          platform: img.platform,
        });
        if (img.diffIDs.length > 0) {
          (repositories[familiarName(r)] ??= {})[r.tag!] = hexOf(img.diffIDs[img.diffIDs.length - 1]!);
        }
      }
      if (img.refs.length === 0) indexManifests.push({ ...desc, platform: img.platform });
      manifestJson.push({
        Config: blobPath(img.id),
        RepoTags: img.refs.length ? img.refs.map((r) => familiarString(r)) : null,
        Layers: img.diffIDs.map(blobPath),
      });
    }
    const file = (name: string, body: string) => w.add({ name, mode: 0o644, mtime: EPOCH }, body);
    await file('index.json', JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCIIndex, manifests: indexManifests }));
    // Go's json.Encoder ends with a newline; json.Marshal (index.json) does not.
    await file('manifest.json', `${JSON.stringify(manifestJson)}\n`);
    await file('oci-layout', OCI_LAYOUT);
    if (Object.keys(repositories).length > 0) {
      const sorted = sortedKeys(Object.fromEntries(Object.entries(repositories).map(([k, v]) => [k, sortedKeys(v)])));
      await file('repositories', `${JSON.stringify(sorted)}\n`);
    }
    await w.finish();
  })().catch((e) => w.abort(e));
  return w.readable;
}
