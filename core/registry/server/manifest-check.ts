// What the server checks in a pushed manifest before storing it: JSON of a known shape, a media
// type that agrees with Content-Type, descriptors with valid digests. Returns what it refers to,
// so the caller can insist those exist (MANIFEST_BLOB_UNKNOWN).
import { isDigest } from '../../digest.ts';
import { MediaType, isIndexMediaType } from '../../image/media-types.ts';
import { specErrors } from './spec-error.ts';

export interface CheckedManifest {
  mediaType: string;
  /** Blobs (config and layers) that must be linked in the repository. */
  blobs: string[];
  /** Child manifests (of an index) that must be linked in the repository. */
  manifests: string[];
  subject?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface RawDescriptor { mediaType?: unknown; digest?: unknown; size?: unknown; urls?: unknown }

const GENERIC_TYPES = new Set(['', 'application/json', 'application/octet-stream', 'text/plain']);

function descriptor(d: unknown, where: string): { digest: string; foreign: boolean } {
  if (!d || typeof d !== 'object') throw specErrors.manifestInvalid(`${where}: not a descriptor`);
  const r = d as RawDescriptor;
  if (typeof r.digest !== 'string' || !isDigest(r.digest)) throw specErrors.manifestInvalid(`${where}: invalid digest ${JSON.stringify(r.digest)}`);
  if (typeof r.size !== 'number' || !Number.isInteger(r.size) || r.size < 0) throw specErrors.manifestInvalid(`${where}: invalid size`);
  if (typeof r.mediaType !== 'string' || !r.mediaType) throw specErrors.manifestInvalid(`${where}: missing mediaType`);
  return { digest: r.digest, foreign: Array.isArray(r.urls) && r.urls.length > 0 };
}

export function checkManifest(bytes: Uint8Array, contentType: string | null): CheckedManifest {
  let m: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    m = parsed as Record<string, unknown>;
  } catch (e) {
    throw specErrors.manifestInvalid(`not a JSON object: ${(e as Error).message}`);
  }
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  if (m.schemaVersion === 1 || ct === MediaType.DockerManifestV1 || ct === MediaType.DockerManifestV1Signed) {
    throw specErrors.manifestInvalid('schema 1 manifests are not supported: push the image as Docker schema 2 or OCI');
  }
  if (m.schemaVersion !== 2) throw specErrors.manifestInvalid(`unsupported schemaVersion ${JSON.stringify(m.schemaVersion)}`);
  if (declared && !GENERIC_TYPES.has(ct) && declared !== ct) {
    throw specErrors.manifestInvalid(`mediaType ${declared} in the manifest does not match Content-Type ${ct}`);
  }
  let mediaType = GENERIC_TYPES.has(ct) ? declared : ct;
  if (!mediaType) mediaType = Array.isArray(m.manifests) ? MediaType.OCIIndex : MediaType.OCIManifest;

  const out: CheckedManifest = { mediaType, blobs: [], manifests: [] };
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(m.manifests)) throw specErrors.manifestInvalid('an index needs a "manifests" array');
    m.manifests.forEach((d, i) => out.manifests.push(descriptor(d, `manifests[${i}]`).digest));
  } else if (mediaType === MediaType.OCIManifest || mediaType === MediaType.DockerManifest || m.config !== undefined) {
    const config = descriptor(m.config, 'config');
    out.blobs.push(config.digest);
    if (!Array.isArray(m.layers)) throw specErrors.manifestInvalid('a manifest needs a "layers" array');
    m.layers.forEach((d, i) => {
      const l = descriptor(d, `layers[${i}]`);
      // Foreign layers (Windows base images) live elsewhere, by their urls.
      if (!l.foreign) out.blobs.push(l.digest);
    });
  } else {
    throw specErrors.manifestInvalid(`unsupported manifest media type ${mediaType}`);
  }
  if (m.subject !== undefined) out.subject = descriptor(m.subject, 'subject').digest;
  const configType = (m.config as { mediaType?: unknown } | undefined)?.mediaType;
  if (typeof m.artifactType === 'string') out.artifactType = m.artifactType;
  else if (typeof configType === 'string' && configType !== MediaType.OCIEmpty && out.subject) out.artifactType = configType;
  if (m.annotations && typeof m.annotations === 'object') out.annotations = m.annotations as Record<string, string>;
  return out;
}
