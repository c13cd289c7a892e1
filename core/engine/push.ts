// `docker push` through the daemon: which local images a name means, pushed with core/registry's
// pushImage (the stored manifest, so the digest stays what was pulled or built; layers mounted
// from the repositories the image came from when the registry has them), reported with dockerd's
// stream messages.
import type { Credentials } from '../auth/credentials.ts';
import { BerthError } from '../errors.ts';
import { LocalImage } from '../image/local-image.ts';
import { familiarName, familiarString, fullName, parseReference, withDefaultTag, withTag, type Reference } from '../reference/reference.ts';
import type { ProgressSink } from './json-message.ts';
import { progressMessage } from './json-message.ts';
import { registryClient, resolvedSchemes, type PullContext } from './pull.ts';
import type { RegistryClient } from '../registry/client.ts';
import { pushImage as pushToRegistry, type PushProgress } from '../registry/push.ts';
import type { ImageRecord } from '../metadata/image-store.ts';
import { missingContentError } from './missing-content.ts';

export interface PushRequest {
  /** The repository (`127.0.0.1:5000/demo/app`), as in the URL path. */
  name: string;
  /** A tag; empty pushes every tag of the repository. */
  tag?: string;
  credentials?: Credentials;
}

const PROGRESS_INTERVAL_MS = 100;

export async function pushImage(ctx: PullContext, req: PushRequest, emit: ProgressSink): Promise<void> {
  let repo = parseReference(req.name);
  if (repo.digest) throw new BerthError('invalid_argument', 'cannot push a digest reference');
  if (req.tag) repo = withTag({ domain: repo.domain, path: repo.path }, req.tag);
  // dockerd names the repository first, so that a missing image is an error in the stream, not a refused request.
  emit({ status: `The push refers to repository [${fullName(repo)}]` });
  const inRepo: { ref: Reference; record: ImageRecord }[] = [];
  for (const record of await ctx.store.list()) {
    for (const t of record.repoTags) {
      const r = parseReference(t);
      if (fullName(r) === fullName(repo)) inRepo.push({ ref: r, record });
    }
  }
  if (!inRepo.length) throw new BerthError('not_found', `An image does not exist locally with the tag: ${familiarName(repo)}`);
  const targets = repo.tag ? inRepo.filter((t) => t.ref.tag === repo.tag) : inRepo;
  if (!targets.length) throw new BerthError('not_found', `tag does not exist: ${familiarString(repo)}`);
  const client = registryClient(ctx, req.credentials, await resolvedSchemes(ctx, repo.domain));
  await reachRegistry(client, client.hostOf(repo.domain));
  for (const { ref, record } of targets) {
    try {
      await pushOne(ctx, client, ref, record, emit);
    } catch (e) {
      throw missingContentError(e, familiarString(withDefaultTag(ref)));
    }
  }
}

/**
 * dockerd contacts the registry before it prepares any layer, and says why it could not as Go's
 * HTTP client does (`Get "https://host/v2/": dial tcp: ...`), without naming the registry again.
 */
async function reachRegistry(client: RegistryClient, host: string): Promise<void> {
  try {
    await client.ping(host);
  } catch (e) {
    const prefix = `cannot reach registry ${host}: `;
    if (e instanceof BerthError && e.message.startsWith(prefix)) {
      throw new BerthError(e.code, e.message.slice(prefix.length), { cause: e });
    }
    throw e;
  }
}

/** The registry's push progress as dockerd's stream messages; byte counts at most every 100 ms per layer. */
function pushProgressSink(emit: ProgressSink): (p: PushProgress) => void {
  const last = new Map<string, number>();
  return (p) => {
    if (p.status !== 'Pushing') {
      emit({ status: p.status, progressDetail: {}, id: p.id });
      return;
    }
    const now = Date.now();
    const done = p.current !== undefined && p.current === p.total;
    if (!done && now - (last.get(p.id) ?? 0) < PROGRESS_INTERVAL_MS) return;
    last.set(p.id, now);
    emit(progressMessage('Pushing', p.id, p.current ?? 0, p.total ?? 0));
  };
}

async function pushOne(ctx: PullContext, client: RegistryClient, ref: Reference, record: ImageRecord, emit: ProgressSink): Promise<void> {
  const image = await LocalImage.open(ctx.blobs, record.manifest, { codecs: ctx.codecs, hash: ctx.hash });
  // Where the same registry already has these blobs: the repositories this image came from.
  const mountFrom = [...record.repoDigests, ...record.repoTags]
    .map((r) => parseReference(r))
    .filter((r) => r.domain === ref.domain && r.path !== ref.path)
    .map((r) => r.path);
  const tagged = withDefaultTag(ref);
  const pushed = await pushToRegistry(client, tagged, image, { mountFrom, onProgress: pushProgressSink(emit) });
  const tag = tagged.tag!;
  emit({ status: `${tag}: digest: ${pushed.digest} size: ${pushed.size}` });
  emit({ progressDetail: {}, aux: { Tag: tag, Digest: pushed.digest, Size: pushed.size } });
  await ctx.store.put({ ...record, repoTags: [], repoDigests: [`${fullName(ref)}@${pushed.digest}`] });
  const shown = familiarString(tagged);
  ctx.events.publish('image', 'push', shown, { name: shown });
}
