// GET /images/{name}/json and /history: Docker's JSON shapes built from a record and its config.
import type { ImageRecord } from '../metadata/image-store.ts';
import { ZERO_TIME } from '../metadata/image-store.ts';
import type { ContainerConfig, HistoryEntry, ImageConfig } from '../image/types.ts';
import { familiarString, parseReference } from '../reference/reference.ts';
import { unixSeconds } from './image-list.ts';

/** Docker's container.Config as image inspect shows it: every field present, image values filled in. */
export function dockerContainerConfig(c: ContainerConfig | undefined): Record<string, unknown> {
  const cfg = c ?? {};
  const out: Record<string, unknown> = {
    Hostname: '', Domainname: '', User: cfg.User ?? '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
  };
  if (cfg.ExposedPorts) out.ExposedPorts = cfg.ExposedPorts;
  Object.assign(out, {
    Tty: false, OpenStdin: false, StdinOnce: false,
    Env: cfg.Env ?? null,
    Cmd: cfg.Cmd ?? null,
  });
  if (cfg.Healthcheck) out.Healthcheck = cfg.Healthcheck;
  if (cfg.ArgsEscaped) out.ArgsEscaped = true;
  Object.assign(out, {
    Image: '',
    Volumes: cfg.Volumes ?? null,
    WorkingDir: cfg.WorkingDir ?? '',
    Entrypoint: cfg.Entrypoint ?? null,
    OnBuild: cfg.OnBuild ?? null,
    Labels: cfg.Labels ?? null,
  });
  if (cfg.StopSignal) out.StopSignal = cfg.StopSignal;
  if (cfg.Shell) out.Shell = cfg.Shell;
  return out;
}

export interface InspectOptions {
  /** API version of the request: before 1.44 the answer also has VirtualSize, Container and ContainerConfig. */
  legacyFields: boolean;
  /** The unpacked directory of a layer, for GraphDriver.Data; undefined when the host has none. */
  layerDir?: (diffID: string) => string | undefined;
}

/** A stored reference as docker shows it (`busybox:latest`). */
export function familiar(full: string): string {
  return familiarString(parseReference(full));
}

function graphDriver(config: ImageConfig, layerDir: InspectOptions['layerDir']): Record<string, unknown> {
  const dirs = config.rootfs.diff_ids.map((d) => layerDir?.(d)).filter((d): d is string => !!d);
  const data: Record<string, string> = {};
  if (dirs.length) {
    const top = dirs[dirs.length - 1]!;
    if (dirs.length > 1) data.LowerDir = dirs.slice(0, -1).reverse().join(':');
    data.MergedDir = top.replace(/\/diff$/, '') + '/merged';
    data.UpperDir = top;
    data.WorkDir = top.replace(/\/diff$/, '') + '/work';
  }
  return { Data: data, Name: 'overlay2' };
}

export function inspectImage(rec: ImageRecord, config: ImageConfig, opts: InspectOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: rec.id,
    RepoTags: rec.repoTags.map(familiar),
    RepoDigests: rec.repoDigests.map(familiar),
    Parent: rec.parent ?? '',
    Comment: config.comment ?? '',
    Created: config.created ?? '',
  };
  if (opts.legacyFields) {
    out.Container = config.container ?? '';
    out.ContainerConfig = dockerContainerConfig(config.container_config);
  }
  Object.assign(out, {
    DockerVersion: config.docker_version ?? '',
    Author: config.author ?? '',
    Config: dockerContainerConfig(config.config),
    Architecture: config.architecture,
  });
  if (config.variant) out.Variant = config.variant;
  Object.assign(out, {
    Os: config.os,
  });
  if (config['os.version']) out.OsVersion = config['os.version'];
  out.Size = rec.size;
  if (opts.legacyFields) out.VirtualSize = rec.size;
  Object.assign(out, {
    GraphDriver: graphDriver(config, opts.layerDir),
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: rec.lastTagTime ?? ZERO_TIME },
  });
  return out;
}

export interface HistoryItem { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }

/**
 * The config's history, newest first; each entry that made a layer gets that layer's size. The top
 * entry carries the image ID and tags; the others are `<missing>` (ImageService.history names the
 * entries a local build's parent chain ended with, as dockerd shows them).
 */
export function imageHistory(rec: ImageRecord, config: ImageConfig, layerSize: (diffID: string) => number): HistoryItem[] {
  const diffIDs = config.rootfs.diff_ids;
  const history: HistoryEntry[] = config.history?.length ? config.history : diffIDs.map(() => (config.created ? { created: config.created } : {}));
  let layer = 0;
  const items: HistoryItem[] = history.map((h) => {
    let size = 0;
    if (!h.empty_layer && layer < diffIDs.length) size = layerSize(diffIDs[layer++]!);
    return { Id: '<missing>', Created: h.created ? unixSeconds(h.created) : 0, CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' };
  });
  items.reverse();
  if (items.length) {
    items[0]!.Id = rec.id;
    items[0]!.Tags = rec.repoTags.length ? rec.repoTags.map(familiar) : null;
  }
  return items;
}
