// Small synthetic images for tests, built in memory and pushed to a test registry over the
// distribution API (monolithic uploads), so tests never depend on public images.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { packTar } from 'modern-tar';

export interface TestLayerSpec {
  /** Path -> content; a path ending in `/` is a directory. */
  files: Record<string, string | Uint8Array>;
  compression?: 'gzip' | 'none';
}

export interface TestImageSpec {
  layers: TestLayerSpec[];
  /** `docker` (schema 2, the default) or `oci`. */
  format?: 'docker' | 'oci';
  architecture?: string;
  os?: string;
  variant?: string;
  env?: string[];
  cmd?: string[];
  labels?: Record<string, string>;
  created?: string;
  /** Extra history entries and commands, one per layer by default. */
  createdBy?: string[];
}

export interface BuiltLayer { digest: string; diffID: string; size: number; mediaType: string; data: Uint8Array }

export interface BuiltImage {
  mediaType: string;
  manifest: Uint8Array;
  digest: string;
  config: Uint8Array;
  configDigest: string;
  layers: BuiltLayer[];
  platform: { architecture: string; os: string; variant?: string };
}

export function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

const FIXED_TIME = new Date('2024-01-01T00:00:00Z');

/** An uncompressed layer tar of `files` (a path ending in `/` is a directory), files with `fileMode`. */
export function packLayerTar(files: TestLayerSpec['files'], fileMode = 0o644): Promise<Uint8Array> {
  return packTar(Object.entries(files).map(([name, body]) => name.endsWith('/')
    ? { header: { name, type: 'directory' as const, size: 0, mode: 0o755, mtime: FIXED_TIME } }
    : { header: { name, size: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength, mode: fileMode, mtime: FIXED_TIME }, body }));
}

async function buildLayer(spec: TestLayerSpec, oci: boolean): Promise<BuiltLayer> {
  const tar = await packLayerTar(spec.files);
  const gzip = (spec.compression ?? 'gzip') === 'gzip';
  const data = gzip ? new Uint8Array(gzipSync(tar)) : tar;
  const mediaType = oci
    ? (gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar')
    : (gzip ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.docker.image.rootfs.diff.tar');
  return { digest: sha256(data), diffID: sha256(tar), size: data.byteLength, mediaType, data };
}

export async function buildTestImage(spec: TestImageSpec): Promise<BuiltImage> {
  const oci = spec.format === 'oci';
  const layers = await Promise.all(spec.layers.map((l) => buildLayer(l, oci)));
  const platform = { architecture: spec.architecture ?? 'amd64', os: spec.os ?? 'linux', ...(spec.variant ? { variant: spec.variant } : {}) };
  const created = spec.created ?? FIXED_TIME.toISOString();
  const config = new TextEncoder().encode(JSON.stringify({
    ...platform,
    created,
    config: { Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: spec.cmd ?? ['sh'], Labels: spec.labels ?? null },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    history: layers.map((_, i) => ({ created, created_by: spec.createdBy?.[i] ?? `/bin/sh -c #(nop) ADD layer ${i}` })),
  }));
  const mediaType = oci ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json';
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json', digest: sha256(config), size: config.byteLength },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  }, null, 2));
  return { mediaType, manifest, digest: sha256(manifest), config, configDigest: sha256(config), layers, platform };
}

async function check(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res;
}

export async function pushBlob(registryUrl: string, repo: string, data: Uint8Array, digest = sha256(data)): Promise<void> {
  if ((await fetch(`${registryUrl}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).ok) return;
  const start = await check(await fetch(`${registryUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST' }), `start upload to ${repo}`);
  const location = new URL(start.headers.get('location')!, registryUrl);
  location.searchParams.set('digest', digest);
  await check(await fetch(location, { method: "PUT", body: new Blob([new Uint8Array(data)]), headers: { 'content-type': 'application/octet-stream' } }), `upload ${digest}`);
}

export async function pushManifest(registryUrl: string, repo: string, ref: string, mediaType: string, body: Uint8Array): Promise<void> {
  await check(await fetch(`${registryUrl}/v2/${repo}/manifests/${ref}`, { method: "PUT", body: new Blob([new Uint8Array(body)]), headers: { "content-type": mediaType } }), `put manifest ${repo}:${ref}`);
}

/** Pushes an image's blobs and manifest as `repo:tag` (tag may be a digest). */
export async function pushTestImage(registryUrl: string, repo: string, tag: string, image: BuiltImage): Promise<void> {
  for (const l of image.layers) await pushBlob(registryUrl, repo, l.data, l.digest);
  await pushBlob(registryUrl, repo, image.config, image.configDigest);
  await pushManifest(registryUrl, repo, tag, image.mediaType, image.manifest);
}

/** Pushes several platform images and an index (OCI or Docker manifest list) over them as `repo:tag`. */
export async function pushTestIndex(registryUrl: string, repo: string, tag: string, images: BuiltImage[], format: 'docker' | 'oci' = 'oci'): Promise<string> {
  for (const img of images) await pushTestImage(registryUrl, repo, img.digest, img);
  const mediaType = format === 'oci' ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.docker.distribution.manifest.list.v2+json';
  const index = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    manifests: images.map((img) => ({ mediaType: img.mediaType, digest: img.digest, size: img.manifest.byteLength, platform: img.platform })),
  }));
  await pushManifest(registryUrl, repo, tag, mediaType, index);
  return sha256(index);
}
