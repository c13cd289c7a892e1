// Writes an OCI image layout directory (oci-layout, index.json, blobs/sha256/...). Blobs are content-addressed,
// so one already present is kept as it is; index.json is replaced atomically, and blobs no reference reaches
// any more are removed so that rebuilding after a package update does not pile up old layers.
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { MediaType, isIndexMediaType, isManifestMediaType } from '../../core/image/media-types.ts';
import type { Descriptor, Index, Manifest } from '../../core/image/types.ts';
import { sha256 } from './layer.ts';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';

const encoder = new TextEncoder();

/** JSON as stored: compact, key order as the object literal gives it, so digests are stable. */
export function canonicalJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export class OciLayout {
  constructor(readonly dir: string) {}

  blobPath(digest: string): string {
    const [algorithm, hex] = digest.split(':') as [string, string];
    return join(this.dir, 'blobs', algorithm, hex);
  }

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await this.writeAtomic(join(this.dir, 'oci-layout'), canonicalJson({ imageLayoutVersion: '1.0.0' }));
  }

  async writeBlob(data: Uint8Array, mediaType: string): Promise<Descriptor> {
    const digest = sha256(data);
    const path = this.blobPath(digest);
    const existing = await stat(path).catch(() => undefined);
    if (existing?.size !== data.byteLength) await this.writeAtomic(path, data);
    return { mediaType, digest, size: data.byteLength };
  }

  writeJson(value: unknown, mediaType: string): Promise<Descriptor> {
    return this.writeBlob(canonicalJson(value), mediaType);
  }

  async readIndex(): Promise<Index> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'index.json'), 'utf8')) as Index;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { schemaVersion: 2, mediaType: MediaType.OCIIndex, manifests: [] };
      throw new Error(`${join(this.dir, 'index.json')} is not a readable OCI index (${(e as Error).message}); remove the directory and build again`);
    }
  }

  /**
   * Points each name at its descriptor in index.json, replacing earlier entries of the same name and keeping
   * entries of other names.
   */
  async setRefs(refs: { name: string; descriptor: Descriptor }[]): Promise<void> {
    const index = await this.readIndex();
    const names = new Set(refs.map((r) => r.name));
    const kept = index.manifests.filter((d) => !names.has(d.annotations?.[REF_NAME_ANNOTATION] ?? ''));
    const added = refs.map(({ name, descriptor }) => ({
      mediaType: descriptor.mediaType,
      digest: descriptor.digest,
      size: descriptor.size,
      annotations: { [CONTAINERD_NAME_ANNOTATION]: name, [REF_NAME_ANNOTATION]: name },
    }));
    const next: Index = { schemaVersion: 2, mediaType: MediaType.OCIIndex, manifests: [...kept, ...added] };
    await this.writeAtomic(join(this.dir, 'index.json'), canonicalJson(next));
  }

  /** Removes blobs that index.json does not reach; returns how many. */
  async collectGarbage(): Promise<number> {
    const reachable = new Set<string>();
    const visit = async (d: Descriptor): Promise<void> => {
      if (reachable.has(d.digest)) return;
      reachable.add(d.digest);
      if (isIndexMediaType(d.mediaType)) {
        const index = JSON.parse(await readFile(this.blobPath(d.digest), 'utf8')) as Index;
        for (const m of index.manifests) await visit(m);
      } else if (isManifestMediaType(d.mediaType)) {
        const manifest = JSON.parse(await readFile(this.blobPath(d.digest), 'utf8')) as Manifest;
        reachable.add(manifest.config.digest);
        for (const l of manifest.layers) reachable.add(l.digest);
      }
    };
    for (const d of (await this.readIndex()).manifests) await visit(d);
    let removed = 0;
    const dir = join(this.dir, 'blobs', 'sha256');
    for (const hex of await readdir(dir)) {
      if (!reachable.has(`sha256:${hex}`)) { await rm(join(dir, hex), { force: true }); removed++; }
    }
    return removed;
  }

  private writeAtomic(path: string, data: Uint8Array): Promise<void> {
    return writeFileAtomic(path, data);
  }
}
