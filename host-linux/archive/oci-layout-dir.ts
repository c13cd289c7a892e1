// OCI image layouts on disk (the built-in images are prepared this way at set-up): the directory is
// read as a read-only blob source, and what index.json reaches is copied into the content store,
// verified blob by blob.
import { readFile, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import type { BlobStore } from '../../core/content/blob-store.ts';
import type { Codecs, HashFactory } from '../../core/host.ts';
import type { Descriptor } from '../../core/image/types.ts';
import { parseManifestBytes } from '../../core/image/parse.ts';
import { parseDigest } from '../../core/digest.ts';
import { BerthError } from '../../core/errors.ts';
import { resolveOciLayout, type LoadArchiveOptions, type LoadedImage } from '../../core/archive/image-archive-load.ts';

function isEnoent(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

export function ociBlobPath(dir: string, digest: string): string {
  const p = parseDigest(digest);
  return join(dir, 'blobs', p.algorithm, p.hex);
}

async function readJson(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (isEnoent(e)) throw new BerthError('invalid_argument', `${what} not found: ${path} is not an OCI image layout`);
    throw e;
  }
}

/** Copies one blob from the layout into the store (verified); true if the layout had it. */
async function copyBlob(dir: string, blobs: BlobStore, d: Descriptor): Promise<boolean> {
  const path = ociBlobPath(dir, d.digest);
  try {
    await stat(path);
  } catch (e) {
    if (isEnoent(e)) return false;
    throw e;
  }
  await blobs.write({ digest: d.digest, size: d.size }, async () => Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>);
  return true;
}

/**
 * Copies everything index.json reaches (nested indexes, manifests, configs, layers; blobs the
 * layout lacks, such as other platforms' manifests, are skipped) into `blobs`, then resolves the
 * images as `docker load` of the same layout as a tar would.
 */
export async function loadOciLayoutDir(
  dir: string, blobs: BlobStore, _codecs: Codecs, _hash: HashFactory, opts: LoadArchiveOptions = {},
): Promise<{ images: LoadedImage[] }> {
  const layout = await readJson(join(dir, 'oci-layout'), 'oci-layout');
  const indexJson = await readJson(join(dir, 'index.json'), 'index.json');
  const seen = new Set<string>();
  const walk = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    if (!(await copyBlob(dir, blobs, d))) return;
    let parsed;
    try {
      parsed = parseManifestBytes(await blobs.readBytes(d.digest), d.mediaType);
    } catch {
      return; // not a manifest: a config or layer
    }
    if (parsed.kind === 'index') for (const m of parsed.index.manifests) await walk(m);
    else for (const b of [parsed.manifest.config, ...parsed.manifest.layers]) if (!seen.has(b.digest)) { seen.add(b.digest); await copyBlob(dir, blobs, b); }
  };
  const top = parseManifestBytes(indexJson);
  if (top.kind !== 'index') throw new BerthError('invalid_argument', `${join(dir, 'index.json')} is not an image index`);
  for (const d of top.index.manifests) await walk(d);
  return { images: await resolveOciLayout(indexJson, layout, blobs, opts) };
}
