// `berth system df`: GET /system/df summarized per type (or per object with -v), computed the way
// docker's disk-usage formatter computes it.
import { familiarName, parseReference } from '../../reference/reference.ts';
import type { Command, CommandContext } from '../command.ts';
import { ellipsis, FORMAT_HELP, RAW_FORMAT_KEY, renderFormat, SubContext, TABLE_FORMAT_KEY, truncateID } from '../formatter.ts';
import { humanDuration, humanSize } from '../units.ts';
import { IMAGE_HEADER, ImageContext, type ImageSummary } from './images.ts';
import { VolumeContext, type VolumeSummary } from './volume-ls.ts';

interface ContainerSummary {
  Id: string; Names?: string[]; Image?: string; Command?: string; Created?: number; State?: string; Status?: string;
  SizeRw?: number; Mounts?: { Type?: string }[];
}
interface BuildCacheRecord { ID: string; Type?: string; Size: number; CreatedAt?: string; LastUsedAt?: string; UsageCount?: number; InUse?: boolean; Shared?: boolean }
interface DiskUsage {
  LayersSize?: number;
  Images?: ImageSummary[] | null;
  Containers?: ContainerSummary[] | null;
  Volumes?: VolumeSummary[] | null;
  BuildCache?: BuildCacheRecord[] | null;
}

const SUMMARY_HEADER = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

function withPercent(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize(reclaimable);
}

class SummaryRow extends SubContext {
  constructor(private readonly t: string, private readonly total: number, private readonly active: number,
    private readonly size: number, private readonly reclaim: string) {
    super('*formatter.diskUsageContext');
  }
  header() { return SUMMARY_HEADER; }
  protected fields() { return ['Active', 'Reclaimable', 'Size', 'TotalCount', 'Type']; }
  Type() { return this.t; }
  TotalCount() { return String(this.total); }
  Active() { return String(this.active); }
  Size() { return humanSize(this.size); }
  Reclaimable() { return this.reclaim; }
}

function isActiveContainer(c: ContainerSummary): boolean {
  return c.State === 'running' || c.State === 'paused' || c.State === 'restarting';
}

export function summaryRows(du: DiskUsage): SummaryRow[] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const cache = du.BuildCache ?? [];
  const total = du.LayersSize ?? 0;
  let used = 0;
  for (const i of images) {
    if ((i.Containers ?? 0) !== 0 && i.Size !== -1 && i.SharedSize !== -1) used += i.Size - (i.SharedSize ?? 0);
  }
  const cSize = containers.reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const cReclaim = containers.filter((c) => !isActiveContainer(c)).reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const vSize = volumes.reduce((a, v) => a + (v.UsageData && v.UsageData.Size !== -1 ? v.UsageData.Size : 0), 0);
  const vReclaim = volumes.reduce((a, v) => a + (v.UsageData && v.UsageData.RefCount === 0 && v.UsageData.Size !== -1 ? v.UsageData.Size : 0), 0);
  const bSize = cache.filter((b) => !b.Shared).reduce((a, b) => a + b.Size, 0);
  const bReclaim = cache.filter((b) => !b.Shared && !b.InUse).reduce((a, b) => a + b.Size, 0);
  return [
    new SummaryRow('Images', images.length, images.filter((i) => (i.Containers ?? 0) > 0).length, total, withPercent(total - used, total)),
    new SummaryRow('Containers', containers.length, containers.filter(isActiveContainer).length, cSize, withPercent(cReclaim, cSize)),
    new SummaryRow('Local Volumes', volumes.length, volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length, vSize, withPercent(vReclaim, vSize)),
    new SummaryRow('Build Cache', cache.length, cache.filter((b) => b.InUse).length, bSize, humanSize(bReclaim)),
  ];
}

const CONTAINER_HEADER = { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' };
const VOLUME_HEADER = { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' };
const CACHE_HEADER = { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' };

class ContainerRow extends SubContext {
  constructor(private readonly c: ContainerSummary, private readonly now: Date) { super('*formatter.ContainerContext'); }
  header() { return CONTAINER_HEADER; }
  protected fields() { return Object.keys(CONTAINER_HEADER); }
  ID() { return truncateID(this.c.Id); }
  Image() { return this.c.Image ?? ''; }
  Command() { return `"${ellipsis(this.c.Command ?? '', 20)}"`; }
  LocalVolumes() { return String((this.c.Mounts ?? []).filter((m) => m.Type === 'volume').length); }
  Size() { return humanSize(this.c.SizeRw ?? 0); }
  RunningFor() { return this.c.Created ? humanDuration(this.now.getTime() - this.c.Created * 1000) + ' ago' : ''; }
  Status() { return this.c.Status ?? ''; }
  Names() { return (this.c.Names ?? []).map((n) => n.replace(/^\//, '')).filter((n) => !n.includes('/')).join(','); }
}

class CacheRow extends SubContext {
  constructor(private readonly b: BuildCacheRecord, private readonly now: Date) { super('*formatter.buildCacheContext'); }
  header() { return CACHE_HEADER; }
  protected fields() { return Object.keys(CACHE_HEADER); }
  ID() { return this.b.InUse ? `${truncateID(this.b.ID)}*` : truncateID(this.b.ID); }
  CacheType() { return this.b.Type ?? ''; }
  Size() { return humanSize(this.b.Size); }
  CreatedSince() { return this.b.CreatedAt ? humanDuration(this.now.getTime() - Date.parse(this.b.CreatedAt)) + ' ago' : ''; }
  LastUsedSince() { return this.b.LastUsedAt ? humanDuration(this.now.getTime() - Date.parse(this.b.LastUsedAt)) + ' ago' : ''; }
  UsageCount() { return String(this.b.UsageCount ?? 0); }
  Shared() { return String(!!this.b.Shared); }
}

function firstTag(i: ImageSummary): [string, string] {
  const tags = i.RepoTags ?? [];
  if (tags.length && !(tags.length === 1 && tags[0] === '<none>:<none>')) {
    try {
      const r = parseReference(tags[0]!);
      if (r.tag !== undefined) return [familiarName(r), r.tag];
    } catch { /* shown as <none> */ }
  }
  return ['<none>', '<none>'];
}

async function runDf(ctx: CommandContext): Promise<void> {
  const api = await ctx.api();
  const du = await api.get<DiskUsage>('/system/df');
  const format = (ctx.flags.format as string) || TABLE_FORMAT_KEY;
  const now = ctx.now();
  if (!(ctx.flags.verbose as boolean)) {
    const f = format === RAW_FORMAT_KEY ? 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n'
      : format === TABLE_FORMAT_KEY ? 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}' : format;
    await ctx.out(renderFormat(f, summaryRows(du), SUMMARY_HEADER));
    return;
  }
  const trunc = format.startsWith(TABLE_FORMAT_KEY);
  const images = (du.Images ?? []).map((i) => {
    const [repo, tag] = firstTag(i);
    return new ImageContext(i, repo, tag, '', trunc, now);
  });
  let out = 'Images space usage:\n\n';
  out += renderFormat('table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', images, IMAGE_HEADER);
  out += '\nContainers space usage:\n\n';
  out += renderFormat('table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}', (du.Containers ?? []).map((c) => new ContainerRow(c, now)), CONTAINER_HEADER);
  out += '\nLocal Volumes space usage:\n\n';
  out += renderFormat('table {{.Name}}\t{{.Links}}\t{{.Size}}', (du.Volumes ?? []).map((v) => new VolumeContext(v)), VOLUME_HEADER);
  const cache = du.BuildCache ?? [];
  out += `\nBuild cache usage: ${humanSize(cache.filter((b) => !b.Shared).reduce((a, b) => a + b.Size, 0))}\n\n`;
  out += renderFormat('table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}', cache.map((b) => new CacheRow(b, now)), CACHE_HEADER);
  await ctx.out(out);
}

export const systemDfCmd = (): Command => ({
  name: 'df',
  use: '[OPTIONS]',
  short: 'Show berth disk usage',
  args: { max: 0 },
  flags: [
    { name: 'format', kind: 'string', usage: FORMAT_HELP },
    { name: 'verbose', short: 'v', kind: 'bool', usage: 'Show detailed information on space usage' },
  ],
  run: async (ctx) => { await runDf(ctx); },
});
