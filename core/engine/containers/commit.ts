// POST /commit: the container's changes as a new layer on top of its image, with the container's
// config (and the request's, and `--change` instructions) as the image config.
import { BerthError } from '../../errors.ts';
import type { ContainerConfig as ImageRuntimeConfig, ImageConfig } from '../../image/types.ts';
import { LocalImage } from '../../image/local-image.ts';
import { DOCKER_LAYER_UNCOMPRESSED } from '../../layer/compression.ts';
import { writeChildManifest } from '../child-image.ts';
import { ingestBlob } from '../../content/ingest.ts';
import { buildImageRecord } from '../../metadata/image-record.ts';
import { familiarString, parseReference, withDefaultTag, withTag, referenceString } from '../../reference/reference.ts';
import type { ContainerService } from './service.ts';
import type { Container } from './container.ts';
import type { ImageRecord } from '../../metadata/image-store.ts';
import { undoably } from '../undoable-lease.ts';

export interface CommitOptions {
  repo: string;
  tag: string;
  comment: string;
  author: string;
  pause: boolean;
  changes: string[];
  config?: Record<string, unknown>;
}

function splitArgs(v: string): string[] {
  const t = v.trim();
  if (t.startsWith('[')) {
    try { const a = JSON.parse(t) as unknown; if (Array.isArray(a)) return a.map(String); } catch { /* shell form */ }
  }
  return ['/bin/sh', '-c', t];
}

/** The Dockerfile instructions `docker commit --change` accepts. */
export function applyChanges(cfg: ImageRuntimeConfig, changes: string[]): void {
  for (const raw of changes.flatMap((c) => c.split('\n')).map((c) => c.trim()).filter(Boolean)) {
    const m = /^(\w+)\s+([\s\S]*)$/.exec(raw);
    if (!m) throw new BerthError('invalid_argument', `dockerfile parse error: ${raw}`);
    const [, instr, rest] = m as unknown as [string, string, string];
    switch (instr.toUpperCase()) {
      case 'CMD': cfg.Cmd = splitArgs(rest); break;
      case 'ENTRYPOINT': cfg.Entrypoint = splitArgs(rest); break;
      case 'WORKDIR': cfg.WorkingDir = rest.trim(); break;
      case 'USER': cfg.User = rest.trim(); break;
      case 'STOPSIGNAL': cfg.StopSignal = rest.trim(); break;
      case 'ENV': {
        const pairs = rest.includes('=') ? rest.trim().split(/\s+/).map((kv) => kv.replace(/^"|"$/g, '')) : [`${rest.trim().split(/\s+/)[0]}=${rest.trim().split(/\s+/).slice(1).join(' ')}`];
        cfg.Env = [...(cfg.Env ?? []).filter((e) => !pairs.some((p) => p.split('=')[0] === e.split('=')[0])), ...pairs];
        break;
      }
      case 'LABEL': {
        cfg.Labels = { ...(cfg.Labels ?? {}) };
        for (const kv of rest.trim().split(/\s+/)) { const i = kv.indexOf('='); cfg.Labels[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? '' : kv.slice(i + 1).replace(/^"|"$/g, ''); }
        break;
      }
      case 'EXPOSE': {
        cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of rest.trim().split(/\s+/)) cfg.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
        break;
      }
      case 'VOLUME': {
        cfg.Volumes = { ...(cfg.Volumes ?? {}) };
        for (const v of splitArgs(rest)[0] === '/bin/sh' ? rest.trim().split(/\s+/) : splitArgs(rest)) cfg.Volumes[v] = {};
        break;
      }
      default: throw new BerthError('invalid_argument', `${instr} is not a valid change command`);
    }
  }
}

export async function commitContainer(svc: ContainerService, ref: string, opts: CommitOptions): Promise<string> {
  const c = svc.get(ref);
  const images = svc.opts.images;
  const deps = images.opts;
  if (!deps.hash) throw new BerthError('unsupported', 'this host cannot commit containers');
  const base = await images.config(c.rec.Image);
  const baseRec = await images.resolve(c.rec.Image);
  // The new layer, config and manifest are blobs no image reaches until the record is stored.
  const id = await undoably(deps.store, () => writeImage(svc, c, opts, base, baseRec));
  svc.event(c, 'commit', { comment: opts.comment });
  return id;
}

/** The container's changes as a layer, the image's config and manifest, its record and tag. */
async function writeImage(svc: ContainerService, c: Container, opts: CommitOptions, base: ImageConfig, baseRec: ImageRecord): Promise<string> {
  const deps = svc.opts.images.opts;
  const hash = deps.hash!;
  const paused = opts.pause && c.task && !c.rec.State.Paused;
  // dockerd's commit pauses through its own pause, events included.
  if (paused) { await c.task!.pause(); svc.event(c, 'pause'); }
  let layer;
  try {
    layer = await ingestBlob(deps.blobs, await svc.runtime.diffTar(c.rec), hash);
  } finally {
    if (paused) { await c.task?.resume().catch(() => {}); svc.event(c, 'unpause'); }
  }
  const diffID = layer.digest; // an uncompressed layer: its digest is its diffID
  await deps.snapshotter.prepare(diffID, () => deps.blobs.read(diffID));

  const cc = c.rec.Config;
  const config: ImageRuntimeConfig = {
    ...(base.config ?? {}),
    User: cc.User ?? '', Env: cc.Env ?? [], Cmd: cc.Cmd ?? null, Entrypoint: cc.Entrypoint ?? null,
    WorkingDir: cc.WorkingDir ?? '', Labels: cc.Labels ?? {},
    ...(cc.ExposedPorts ? { ExposedPorts: cc.ExposedPorts } : {}),
    ...(cc.Volumes ? { Volumes: cc.Volumes } : {}),
    ...(cc.StopSignal ? { StopSignal: cc.StopSignal } : {}),
    ...(opts.config as ImageRuntimeConfig | undefined ?? {}),
  };
  applyChanges(config, opts.changes);
  const now = svc.now().toISOString();
  const imageConfig: ImageConfig = {
    ...base,
    created: now,
    ...(opts.author ? { author: opts.author } : {}),
    config,
    container: c.id,
    rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, diffID] },
    history: [...(base.history ?? []), { created: now, ...(opts.author ? { author: opts.author } : {}), created_by: [c.rec.Path, ...c.rec.Args].join(' '), ...(opts.comment ? { comment: opts.comment } : {}) }],
  };
  if (opts.comment) imageConfig.comment = opts.comment;
  const baseImage = await LocalImage.open(deps.blobs, baseRec.manifest, deps);
  const { manifest } = await writeChildManifest(deps, imageConfig, [...(await baseImage.manifest()).layers, { mediaType: DOCKER_LAYER_UNCOMPRESSED, digest: diffID, size: layer.size }]);
  const rec = await buildImageRecord(deps.blobs, { manifest, parent: baseRec.id });
  await deps.store.put(rec);
  if (opts.repo) {
    let r = parseReference(opts.repo);
    if (opts.tag) r = withTag(r, opts.tag);
    r = withDefaultTag(r);
    await deps.store.tag(rec.id, referenceString(r));
    svc.opts.events.publish('image', 'tag', rec.id, { name: familiarString(r), ...(config.Labels ?? {}) });
  }
  return rec.id;
}
