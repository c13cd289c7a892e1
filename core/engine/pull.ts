// `docker pull`: reference -> registry (mirrors first for Docker Hub, plain HTTP for insecure and
// loopback registries) -> manifest or index -> platform image -> stored content -> record, with
// dockerd's progress messages. Docker Hub unreachable: the built-in images stand in.
import type { Fetch } from '../host.ts';
import type { Credentials } from '../auth/credentials.ts';
import type { Descriptor, Platform } from '../image/types.ts';
import { RegistryClient } from '../registry/client.ts';
import { BerthError, errorMessage } from '../errors.ts';
import { parsePlatform } from '../image/platform.ts';
import { isNotFound } from '../errors.ts';
import {
  familiarName, familiarString, fullName, isDockerHub, parseReference, referenceString, withDefaultTag, withDigest, withTag, type Reference,
} from '../reference/reference.ts';
import type { ProgressSink } from './json-message.ts';
import type { EventBus } from './events.ts';
import type { RegistryConfig } from '../config/registry-config.ts';
import { imageRecord, storeImageContent, type ImageDeps, type SourceImage } from './store-image.ts';
import { resolvePlatformImage, type ManifestSource } from './resolve-image.ts';
import { findBuiltin, type BuiltinImages } from './builtin-images.ts';
import { isDigest } from '../digest.ts';
import type { ImageRecord } from '../metadata/image-store.ts';

export interface PullContext extends ImageDeps {
  events: EventBus;
  registry: RegistryConfig;
  fetch: Fetch;
  hostPlatform: Platform;
  builtin?: BuiltinImages;
  userAgent?: string;
  /** Registry timeout (no answer or no progress), ms. */
  timeoutMs?: number;
}

export interface PullRequest {
  /** `fromImage` as sent: `busybox`, `127.0.0.1:5000/demo/busybox:1`. */
  fromImage: string;
  /** `tag`: a tag or a digest; empty means the one in fromImage, or `latest`. */
  tag?: string;
  platform?: string;
  credentials?: Credentials;
  signal?: AbortSignal;
}

/** dockerd's reading of fromImage + tag. */
export function pullReference(fromImage: string, tag?: string): Reference {
  let ref = parseReference(fromImage);
  if (tag) {
    ref = isDigest(tag) ? withDigest({ domain: ref.domain, path: ref.path }, tag) : withTag({ domain: ref.domain, path: ref.path }, tag);
  }
  return withDefaultTag(ref);
}

export function registryClient(ctx: PullContext, credentials?: Credentials, schemes: Map<string, 'http' | 'https'> = new Map()): RegistryClient {
  return new RegistryClient({
    fetch: ctx.fetch,
    hash: ctx.hash,
    scheme: (host) => schemes.get(host) ?? ctx.registry.scheme(host),
    ...(credentials ? { credentials: async () => credentials } : {}),
    ...(ctx.userAgent ? { userAgent: ctx.userAgent } : {}),
    ...(ctx.timeoutMs ? { timeoutMs: ctx.timeoutMs } : {}),
  });
}

function registrySource(client: RegistryClient, ref: Reference): ManifestSource {
  return {
    manifest: async (desc) => {
      const m = await client.getManifest({ domain: ref.domain, path: ref.path, digest: desc.digest });
      return { bytes: m.bytes, mediaType: m.mediaType };
    },
    blob: (desc) => client.getBlob(ref, desc.digest, { size: desc.size }),
  };
}

function isUnreachable(e: unknown): boolean {
  return e instanceof BerthError && (e.code === 'unavailable' || e.code === 'timeout');
}

interface Resolved { source: ManifestSource; top: Descriptor; topBytes: Uint8Array; note?: string }

/** Mirrors of Docker Hub as (scheme, host): `https://mirror.example:5000/` -> https, mirror.example:5000. */
function mirrorHosts(mirrors: readonly string[]): { scheme: 'http' | 'https'; host: string }[] {
  const out: { scheme: 'http' | 'https'; host: string }[] = [];
  for (const m of mirrors) {
    try {
      const u = new URL(m.includes('://') ? m : `https://${m}`);
      out.push({ scheme: u.protocol === 'http:' ? 'http' : 'https', host: u.host });
    } catch { /* rejected when the config was read */ }
  }
  return out;
}

async function resolveTop(ctx: PullContext, ref: Reference, credentials?: Credentials): Promise<Resolved> {
  const fetchFrom = async (client: RegistryClient, r: Reference): Promise<Resolved> => {
    const m = await client.getManifest(r);
    return { source: registrySource(client, r), top: { mediaType: m.mediaType, digest: m.digest, size: m.bytes.byteLength }, topBytes: m.bytes };
  };
  if (!isDockerHub(ref.domain)) return fetchFrom(registryClient(ctx, credentials), ref);

  // Mirrors serve Docker Hub's content anonymously; on any failure Docker falls back to the Hub.
  for (const mirror of mirrorHosts(ctx.registry.mirrors)) {
    try {
      return await fetchFrom(registryClient(ctx, undefined, new Map([[mirror.host, mirror.scheme]])), { ...ref, domain: mirror.host });
    } catch { /* next mirror, then the Hub */ }
  }
  try {
    return await fetchFrom(registryClient(ctx, credentials), ref);
  } catch (e) {
    if (!isUnreachable(e)) throw e;
    const builtin = await findBuiltin(ctx.builtin, ref);
    if (!builtin || !ctx.builtin) {
      throw new BerthError('unavailable',
        `Docker Hub is unreachable (${errorMessage(e)}), and ${familiarString(ref)} is not one of berth's built-in images (busybox, hello-world, hello-wasm): connect to the internet, configure a registry mirror, or pull from a local registry`,
        { cause: e });
    }
    const m = await ctx.builtin.source.manifest(builtin.descriptor);
    return {
      source: ctx.builtin.source,
      top: { ...builtin.descriptor, mediaType: m.mediaType || builtin.descriptor.mediaType },
      topBytes: m.bytes,
      note: `Docker Hub is unreachable; using berth's built-in ${familiarString(ref)}`,
    };
  }
}

/** The platform image: `platform` when asked; else the host's, or a wasm image when that is all there is. */
export async function choosePlatformImage(ctx: Pick<PullContext, 'codecs' | 'hostPlatform'>, source: ManifestSource, top: Descriptor, topBytes: Uint8Array, platform?: string): Promise<SourceImage> {
  const want = platform ? parsePlatform(platform, ctx.hostPlatform) : ctx.hostPlatform;
  try {
    return await resolvePlatformImage(source, top, topBytes, want, ctx.codecs);
  } catch (e) {
    if (platform || !isNotFound(e)) throw e;
    try {
      return await resolvePlatformImage(source, top, topBytes, { os: 'wasi', architecture: 'wasm' }, ctx.codecs);
    } catch {
      throw e;
    }
  }
}

/** Pulls one image; the 200 header goes out with the first message, after the manifest is known. */
export async function pullImage(ctx: PullContext, req: PullRequest, emit: ProgressSink): Promise<ImageRecord> {
  const ref = pullReference(req.fromImage, req.tag);
  let resolved: Resolved;
  try {
    resolved = await resolveTop(ctx, ref, req.credentials);
  } catch (e) {
    // A 401 from the daemon makes the docker CLI prompt for a login on its terminal; dockerd
    // answers registry auth failures as "pull access denied" (404), and so does berth.
    if (e instanceof BerthError && (e.status === 401 || e.status === 403)) {
      throw new BerthError('not_found', `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${e.message}`, { cause: e });
    }
    throw e;
  }
  const src = await choosePlatformImage(ctx, resolved.source, resolved.top, resolved.topBytes, req.platform);
  const lease = await ctx.store.lease();
  try {
    if (resolved.note) emit({ status: resolved.note });
    emit({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag ?? 'latest' });
    const content = await storeImageContent(ctx, src, emit);
    const digestRef = `${fullName(ref)}@${resolved.top.digest}`;
    const key = ref.digest ? digestRef : referenceString(ref);
    let before: string | undefined;
    try { before = (await ctx.store.resolve(key)).id; } catch { /* new */ }
    const record = await ctx.store.put(imageRecord(src, content, { repoTags: ref.tag && !ref.digest ? [referenceString(ref)] : [], repoDigests: [digestRef] }));
    emit({ status: `Digest: ${resolved.top.digest}` });
    const shown = familiarString(ref);
    emit({ status: before === record.id ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}` });
    ctx.events.publish('image', 'pull', shown, { name: shown, ...(await labelsOf(ctx, record.id)) });
    return record;
  } finally {
    lease.release();
  }
}

async function labelsOf(ctx: ImageDeps, id: string): Promise<Record<string, string>> {
  try {
    const config = JSON.parse(new TextDecoder().decode(await ctx.blobs.readBytes(id))) as { config?: { Labels?: Record<string, string> | null } };
    return config.config?.Labels ?? {};
  } catch {
    return {};
  }
}
