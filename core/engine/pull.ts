// `docker pull`: reference -> registry (mirrors first for Docker Hub, plain HTTP for insecure and
// loopback registries) -> manifest or index -> platform image -> stored content -> record, with
// dockerd's progress messages. Docker Hub unreachable: the built-in images stand in.
import type { Fetch } from '../host.ts';
import type { Credentials } from '../auth/credentials.ts';
import type { Platform } from '../image/types.ts';
import type { Image, ImageIndex } from '../image/image.ts';
import { RegistryClient } from '../registry/client.ts';
import { remote } from '../registry/remote-image.ts';
import { BerthError, errorMessage } from '../errors.ts';
import {
  familiarName, familiarString, fullName, isDockerHub, parseReference, referenceString, registryEndpointHost, withDefaultTag, withDigest, withTag, type Reference,
} from '../reference/reference.ts';
import type { ProgressSink } from './json-message.ts';
import type { EventBus } from './events.ts';
import type { HostResolver, RegistryConfig } from '../config/registry-config.ts';
import { recordStoredImage, storeImageContent, type ImageDeps } from './store-image.ts';
import { choosePlatformImage } from './platform-image.ts';
import { findBuiltin, openBuiltin, type BuiltinImages } from './builtin-images.ts';
import { isDigest } from '../digest.ts';
import type { ImageRecord } from '../metadata/image-store.ts';
import { undoably } from './undoable-lease.ts';

export interface PullContext extends ImageDeps {
  events: EventBus;
  registry: RegistryConfig;
  fetch: Fetch;
  hostPlatform: Platform;
  builtin?: BuiltinImages;
  userAgent?: string;
  /** Registry timeout (no answer or no progress), ms. */
  timeoutMs?: number;
  /** Resolves registry host names, so that one on loopback is plain HTTP as with dockerd. */
  resolveHost?: HostResolver;
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

/** The scheme for the registry of `domain`, its name resolved; for registryClient's `schemes`. */
export async function resolvedSchemes(ctx: PullContext, domain: string): Promise<Map<string, 'http' | 'https'>> {
  const host = registryEndpointHost(domain);
  return new Map([[host, await ctx.registry.schemeResolved(host, ctx.resolveHost)]]);
}

function isUnreachable(e: unknown): boolean {
  return e instanceof BerthError && (e.code === 'unavailable' || e.code === 'timeout');
}

/** What the reference names, where it was found, and a note for the stream when that is not the registry. */
interface Resolved { found: Image | ImageIndex; note?: string }

/** A mirror of Docker Hub as (scheme, host): `https://mirror.example:5000/` -> https, mirror.example:5000. */
function mirrorHost(mirror: string): { scheme: 'http' | 'https'; host: string } {
  const u = new URL(mirror);
  return { scheme: u.protocol === 'http:' ? 'http' : 'https', host: u.host };
}

/**
 * How long a mirror gets to answer `GET /v2/` before the pull goes on to Docker Hub. dockerd waits
 * its full dial timeout; a mirror that hangs would hold every Hub pull (and the built-in fallback)
 * that long.
 */
const MIRROR_ANSWER_MS = 5_000;

async function resolveTop(ctx: PullContext, ref: Reference, credentials?: Credentials, signal?: AbortSignal): Promise<Resolved> {
  const opts = { codecs: ctx.codecs, hash: ctx.hash, ...(signal ? { signal } : {}) };
  // Mirrors serve Docker Hub's content anonymously; on any failure Docker falls back to the Hub.
  const mirrorFailures: string[] = [];
  for (const mirror of ctx.registry.mirrorsFor(ref.domain)) {
    try {
      const { scheme, host } = mirrorHost(mirror);
      const schemes = new Map([[host, scheme]]);
      await registryClient({ ...ctx, timeoutMs: Math.min(ctx.timeoutMs ?? MIRROR_ANSWER_MS, MIRROR_ANSWER_MS) }, undefined, schemes).ping(host, signal);
      return { found: await remote(registryClient(ctx, undefined, schemes), { ...ref, domain: host }, opts) };
    } catch (e) {
      if (signal?.aborted) throw e;
      mirrorFailures.push(`the registry mirror ${mirror} failed (${errorMessage(e)})`);
    }
  }
  try {
    return { found: await remote(registryClient(ctx, credentials, await resolvedSchemes(ctx, ref.domain)), ref, opts) };
  } catch (e) {
    if (!isDockerHub(ref.domain) || !isUnreachable(e)) throw e;
    const mirrors = mirrorFailures.join(', ');
    const builtin = await findBuiltin(ctx.builtin, ref);
    if (!builtin || !ctx.builtin) {
      const advice = mirrorFailures.length ? 'check the registry mirror' : 'connect to the internet, configure a registry mirror,';
      throw new BerthError('unavailable',
        `Docker Hub is unreachable (${errorMessage(e)})${mirrors ? `, ${mirrors}` : ''}, and ${familiarString(ref)} is not one of berth's built-in images (busybox, hello-world, hello-wasm): ${advice} or pull from a local registry`,
        { cause: e });
    }
    return {
      found: await openBuiltin(ctx.builtin, builtin.descriptor, ctx),
      note: `Docker Hub is unreachable${mirrors ? ` and ${mirrors}` : ''}; using berth's built-in ${familiarString(ref)}`,
    };
  }
}

/** Pulls one image; the 200 header goes out with the first message, after the manifest is known. */
export async function pullImage(ctx: PullContext, req: PullRequest, emit: ProgressSink): Promise<ImageRecord> {
  const ref = pullReference(req.fromImage, req.tag);
  let resolved: Resolved;
  try {
    resolved = await resolveTop(ctx, ref, req.credentials, req.signal);
  } catch (e) {
    // A 401 from the daemon makes the docker CLI prompt for a login on its terminal; dockerd
    // answers registry auth failures as "pull access denied" (404), and so does berth.
    if (e instanceof BerthError && (e.status === 401 || e.status === 403)) {
      // The registry client already words manifest refusals this way; token refusals come unworded.
      const prefix = `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': `;
      throw new BerthError('not_found', e.message.startsWith('pull access denied for ') ? e.message : prefix + e.message, { cause: e });
    }
    throw e;
  }
  const src = await choosePlatformImage(ctx.hostPlatform, resolved.found, req.platform);
  const top = src.index?.descriptor ?? src.manifest;
  // dockerd keeps the layers a failed pull downloaded, to resume later; berth leaves the store as it
  // was instead (a pull again downloads them again), so a bad image never costs disk space.
  return undoably(ctx.store, async () => {
    if (resolved.note) emit({ status: resolved.note });
    emit({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag ?? 'latest' });
    const content = await storeImageContent(ctx, src, emit);
    const digestRef = `${fullName(ref)}@${top.digest}`;
    const key = ref.digest ? digestRef : referenceString(ref);
    let before: string | undefined;
    try { before = (await ctx.store.resolve(key)).id; } catch { /* new */ }
    const record = await recordStoredImage(ctx, src, content, { repoTags: ref.tag && !ref.digest ? [referenceString(ref)] : [], repoDigests: [digestRef] });
    emit({ status: `Digest: ${top.digest}` });
    const shown = familiarString(ref);
    emit({ status: before === record.id ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}` });
    ctx.events.publish('image', 'pull', shown, { name: shown, ...(content.config.config?.Labels ?? {}) });
    return record;
  });
}
