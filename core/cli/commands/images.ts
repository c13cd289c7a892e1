// `berth images` / `berth image ls`: the image table, with docker's formatter fields and rows
// (one per repository:tag, digests on request, dangling images as <none>).
import { familiarName, parseReference } from '../../reference/reference.ts';
import { encodeFilters } from '../api-client.ts';
import { StatusError, type Command, type CommandContext } from '../command.ts';
import {
  DEFAULT_QUIET_FORMAT, FORMAT_HELP, RAW_FORMAT_KEY, renderFormat, SubContext, TABLE_FORMAT_KEY, truncateID,
} from '../formatter.ts';
import { createdSince, goTimeString, humanSize, humanSizeWithPrecision } from '../units.ts';

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  VirtualSize?: number;
  SharedSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

const DEFAULT_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const DEFAULT_TABLE_DIGEST = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

export const IMAGE_HEADER: Record<string, string> = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT', Size: 'SIZE', Containers: 'CONTAINERS', VirtualSize: 'SIZE', SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** formatter.NewImageFormat. */
export function imageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === TABLE_FORMAT_KEY) {
    if (quiet) return DEFAULT_QUIET_FORMAT;
    return digest ? DEFAULT_TABLE_DIGEST : DEFAULT_TABLE;
  }
  if (source === RAW_FORMAT_KEY) {
    if (quiet) return 'image_id: {{.ID}}';
    return digest
      ? 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n'
      : 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
  }
  if (source.startsWith(TABLE_FORMAT_KEY) && digest && !source.includes('{{.Digest}}')) return source + '\t{{.Digest}}';
  return source;
}

export class ImageContext extends SubContext {
  constructor(private readonly i: ImageSummary, private readonly repo: string, private readonly tag: string,
    private readonly digest: string, private readonly trunc: boolean, private readonly now: Date) {
    super('*formatter.imageContext');
  }
  header() { return IMAGE_HEADER; }
  protected fields() { return ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize']; }
  ID() { return this.trunc ? truncateID(this.i.Id) : this.i.Id; }
  Repository() { return this.repo; }
  Tag() { return this.tag; }
  Digest() { return this.digest; }
  CreatedSince() { return createdSince(this.i.Created, this.now); }
  CreatedAt() { return goTimeString(new Date(this.i.Created * 1000)); }
  Size() { return humanSizeWithPrecision(this.i.Size, 3); }
  Containers() { return this.i.Containers === undefined || this.i.Containers === -1 ? 'N/A' : String(this.i.Containers); }
  VirtualSize() { return humanSize(this.i.Size); }
  SharedSize() { return this.i.SharedSize === undefined || this.i.SharedSize === -1 ? 'N/A' : humanSize(this.i.SharedSize); }
  UniqueSize() {
    if (this.i.Size === -1 || this.i.SharedSize === undefined || this.i.SharedSize === -1) return 'N/A';
    return humanSize(this.i.Size - this.i.SharedSize);
  }
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

function tryParse(s: string) {
  try { return parseReference(s); } catch { return undefined; }
}

/** One row per repository and tag (and digest when asked), as formatter.imageFormat does. */
export function imageRows(images: ImageSummary[], opts: { trunc: boolean; digest: boolean; needDigest: boolean; now: Date }): ImageContext[] {
  const rows: ImageContext[] = [];
  for (const img of images) {
    if (isDangling(img)) {
      rows.push(new ImageContext(img, '<none>', '<none>', '<none>', opts.trunc, opts.now));
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const s of img.RepoTags ?? []) {
      const r = tryParse(s);
      if (!r || r.tag === undefined) continue;
      const name = familiarName(r);
      repoTags.set(name, [...(repoTags.get(name) ?? []), r.tag]);
    }
    for (const s of img.RepoDigests ?? []) {
      const r = tryParse(s);
      if (!r || r.digest === undefined) continue;
      const name = familiarName(r);
      repoDigests.set(name, [...(repoDigests.get(name) ?? []), r.digest]);
    }
    for (const [repo, tags] of repoTags) {
      let digests = repoDigests.get(repo) ?? [];
      repoDigests.delete(repo);
      if (!opts.needDigest) digests = [];
      for (const tag of tags) {
        if (digests.length === 0) {
          rows.push(new ImageContext(img, repo, tag, '<none>', opts.trunc, opts.now));
          continue;
        }
        for (const d of digests) rows.push(new ImageContext(img, repo, tag, d, opts.trunc, opts.now));
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (opts.digest) for (const d of digests) rows.push(new ImageContext(img, repo, '<none>', d, opts.trunc, opts.now));
      else rows.push(new ImageContext(img, repo, '<none>', '', opts.trunc, opts.now));
    }
  }
  return rows;
}

async function runImages(ctx: CommandContext): Promise<void> {
  if (ctx.flags.tree) throw new StatusError('berth does not support --tree yet: use --format or inspect the image index', 1);
  const filters = [...(ctx.flags.filter as string[])];
  if (ctx.args[0]) filters.push(`reference=${ctx.args[0]}`);
  const api = await ctx.api();
  const images = await api.get<ImageSummary[]>('/images/json', { all: ctx.flags.all as boolean, filters: encodeFilters(filters) });
  const quiet = ctx.flags.quiet as boolean;
  const digests = ctx.flags.digests as boolean;
  let format = ctx.flags.format as string;
  if (!format) {
    const cfg = await ctx.config().catch(() => undefined);
    format = cfg?.data.imagesFormat && !quiet ? cfg.data.imagesFormat : TABLE_FORMAT_KEY;
  }
  const f = imageFormat(format, quiet, digests);
  const rows = imageRows(images ?? [], { trunc: !(ctx.flags['no-trunc'] as boolean), digest: digests, needDigest: digests || f.includes('{{.Digest}}'), now: ctx.now() });
  const text = renderFormat(f, rows, IMAGE_HEADER);
  if (text) await ctx.out(text);
}

function imagesCommand(name: string, use: string, aliases: string[]): Command {
  return {
    name,
    aliases,
    use,
    short: 'List images',
    aliasesHelp: 'berth image ls, berth image list, berth images',
    args: { max: 1 },
    category: 'common',
    flags: [
      { name: 'all', short: 'a', kind: 'bool', usage: 'Show all images (default hides intermediate images)' },
      { name: 'digests', kind: 'bool', usage: 'Show digests' },
      { name: 'filter', short: 'f', kind: 'filter', usage: 'Filter output based on conditions provided' },
      { name: 'format', kind: 'string', usage: FORMAT_HELP },
      { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
      { name: 'tree', kind: 'bool', usage: 'List multi-platform images as a tree (EXPERIMENTAL)' },
    ],
    run: async (ctx) => { await runImages(ctx); },
  };
}

export const imagesCmd = (): Command => imagesCommand('images', '[OPTIONS] [REPOSITORY[:TAG]]', []);
export const imageLsCmd = (): Command => imagesCommand('ls', '[OPTIONS] [REPOSITORY[:TAG]]', ['list']);
