// `docker push`: the stored manifest (so the digest stays what was pulled or built), its layers
// checked with HEAD, mounted from another repository of the same registry when one holds them, or
// uploaded with progress; then the config and the manifest, with dockerd's stream messages.
import type { Credentials } from '../auth/credentials.ts';
import { BerthError } from '../errors.ts';
import { shortId } from '../digest.ts';
import { LocalImage } from '../image/local-image.ts';
import { familiarName, familiarString, fullName, parseReference, withDefaultTag, withTag, type Reference } from '../reference/reference.ts';
import type { ProgressSink } from './json-message.ts';
import { progressMessage } from './json-message.ts';
import { registryClient, type PullContext } from './pull.ts';
import { limiter } from './progress.ts';
import type { ImageRecord } from '../metadata/image-store.ts';

export interface PushRequest {
  /** The repository (`127.0.0.1:5000/demo/app`), as in the URL path. */
  name: string;
  /** A tag; empty pushes every tag of the repository. */
  tag?: string;
  credentials?: Credentials;
}

const UPLOAD_CONCURRENCY = 3;
const PROGRESS_INTERVAL_MS = 100;

export async function pushImage(ctx: PullContext, req: PushRequest, emit: ProgressSink): Promise<void> {
  let repo = parseReference(req.name);
  if (repo.digest) throw new BerthError('invalid_argument', 'cannot push a digest reference');
  if (req.tag) repo = withTag({ domain: repo.domain, path: repo.path }, req.tag);
  const targets: { ref: Reference; record: ImageRecord }[] = [];
  const records = await ctx.store.list();
  if (repo.tag) {
    const want = `${fullName(repo)}:${repo.tag}`;
    const record = records.find((r) => r.repoTags.includes(want));
    if (!record) throw new BerthError('not_found', `An image does not exist locally with the tag: ${familiarString(repo)}`);
    targets.push({ ref: repo, record });
  } else {
    for (const record of records) {
      for (const t of record.repoTags) {
        const r = parseReference(t);
        if (fullName(r) === fullName(repo)) targets.push({ ref: r, record });
      }
    }
    if (!targets.length) throw new BerthError('not_found', `An image does not exist locally with the tag: ${familiarName(repo)}`);
  }
  const client = registryClient(ctx, req.credentials);
  emit({ status: `The push refers to repository [${familiarName(repo)}]` });
  for (const { ref, record } of targets) await pushOne(ctx, client, ref, record, emit);
}

async function pushOne(ctx: PullContext, client: ReturnType<typeof registryClient>, ref: Reference, record: ImageRecord, emit: ProgressSink): Promise<void> {
  const image = await LocalImage.open(ctx.blobs, record.manifest, { codecs: ctx.codecs, hash: ctx.hash });
  const manifest = await image.manifest();
  const config = await image.configFile();
  // Where the same registry already has these blobs: the repositories this image came from.
  const mountSources = [...record.repoDigests, ...record.repoTags]
    .map((r) => parseReference(r))
    .filter((r) => r.domain === ref.domain && r.path !== ref.path)
    .map((r) => r.path);
  const layers = manifest.layers.map((desc, i) => ({ desc, id: shortId(config.rootfs.diff_ids[i] ?? desc.digest) }));
  const unique = layers.filter((l, i) => layers.findIndex((x) => x.desc.digest === l.desc.digest) === i).reverse();
  for (const l of unique) emit({ status: 'Preparing', progressDetail: {}, id: l.id });
  const limit = limiter(UPLOAD_CONCURRENCY);
  await Promise.all(unique.map((l) => limit.run(async () => {
    if (await client.headBlob(ref, l.desc.digest, { push: true })) {
      emit({ status: 'Layer already exists', progressDetail: {}, id: l.id });
      return;
    }
    let location: string | undefined;
    for (const from of [...new Set(mountSources)]) {
      const m = await client.mountBlob(ref, l.desc.digest, from);
      if (m.mounted) {
        emit({ status: `Mounted from ${from}`, progressDetail: {}, id: l.id });
        return;
      }
      location = m.location;
      break;
    }
    let last = 0;
    await client.uploadBlob(ref, { digest: l.desc.digest, size: l.desc.size, data: () => ctx.blobs.read(l.desc.digest) }, {
      ...(location ? { location } : {}),
      onProgress: (n, total) => {
        const now = Date.now();
        if (now - last < PROGRESS_INTERVAL_MS && n !== total) return;
        last = now;
        emit(progressMessage('Pushing', l.id, n, total ?? l.desc.size));
      },
    });
    emit({ status: 'Pushed', progressDetail: {}, id: l.id });
  }, () => emit({ status: 'Waiting', progressDetail: {}, id: l.id }))));

  if (!(await client.headBlob(ref, manifest.config.digest, { push: true }))) {
    const raw = await image.rawConfigFile();
    await client.uploadBlob(ref, { digest: manifest.config.digest, size: raw.byteLength, data: raw });
  }
  const raw = await image.rawManifest();
  const tag = ref.tag ?? 'latest';
  const digest = await client.putManifest(withDefaultTag(ref), raw, await image.mediaType());
  emit({ status: `${tag}: digest: ${digest} size: ${raw.byteLength}` });
  emit({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: raw.byteLength } });
  await ctx.store.put({ ...record, repoTags: [], repoDigests: [`${fullName(ref)}@${digest}`] });
  const shown = familiarString(withDefaultTag(ref));
  ctx.events.publish('image', 'push', shown, { name: shown });
}
