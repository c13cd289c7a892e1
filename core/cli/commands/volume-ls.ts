// `berth volume ls`: GET /volumes, sorted by name as docker sorts it, through docker's volume formatter.
import { encodeFilters } from '../api-client.ts';
import type { Command } from '../command.ts';
import { FORMAT_HELP, RAW_FORMAT_KEY, renderFormat, SubContext, TABLE_FORMAT_KEY } from '../formatter.ts';
import { humanSize } from '../units.ts';
import { naturalLess } from '../natural-order.ts';

export interface VolumeSummary {
  Name: string;
  Driver: string;
  Scope: string;
  Mountpoint: string;
  Labels: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
}

const VOLUME_HEADER: Record<string, string> = {
  Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE',
  Availability: 'AVAILABILITY', Group: 'GROUP', Status: 'STATUS',
};

export class VolumeContext extends SubContext {
  constructor(private readonly v: VolumeSummary) { super('*formatter.volumeContext'); }
  header() { return VOLUME_HEADER; }
  protected fields() { return ['Availability', 'Driver', 'Group', 'Labels', 'Links', 'Mountpoint', 'Name', 'Scope', 'Size', 'Status']; }
  Name() { return this.v.Name; }
  Driver() { return this.v.Driver; }
  Scope() { return this.v.Scope; }
  Mountpoint() { return this.v.Mountpoint; }
  Labels() { return Object.entries(this.v.Labels ?? {}).map(([k, val]) => `${k}=${val}`).join(','); }
  Label(name: string) { return this.v.Labels?.[name] ?? ''; }
  Links() { return this.v.UsageData ? String(this.v.UsageData.RefCount) : 'N/A'; }
  Size() { return this.v.UsageData && this.v.UsageData.Size !== -1 ? humanSize(this.v.UsageData.Size) : 'N/A'; }
  Availability() { return 'N/A'; }
  Group() { return 'N/A'; }
  Status() { return 'N/A'; }
}

export const volumeLsCmd = (): Command => ({
  name: 'ls',
  aliases: ['list'],
  aliasesHelp: 'berth volume ls, berth volume list',
  use: '[OPTIONS]',
  short: 'List volumes',
  args: { max: 0 },
  flags: [
    { name: 'filter', short: 'f', kind: 'filter', usage: 'Provide filter values (e.g. "dangling=true")' },
    { name: 'format', kind: 'string', usage: FORMAT_HELP },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display volume names' },
  ],
  run: async (ctx) => {
    const api = await ctx.api();
    const r = await api.json<{ Volumes: VolumeSummary[] | null }>('GET', '/volumes', { query: { filters: encodeFilters(ctx.flags.filter as string[]) } });
    const volumes = [...(r.Volumes ?? [])].sort((a, b) => naturalLess(a.Name, b.Name));
    const quiet = ctx.flags.quiet as boolean;
    let format = ctx.flags.format as string;
    if (!format) {
      const configured = (await ctx.config().catch(() => undefined))?.data.volumesFormat;
      format = typeof configured === 'string' && configured && !quiet ? configured : TABLE_FORMAT_KEY;
    }
    // formatter.NewVolumeFormat.
    if (format === TABLE_FORMAT_KEY) format = quiet ? '{{.Name}}' : 'table {{.Driver}}\t{{.Name}}';
    else if (format === RAW_FORMAT_KEY) format = quiet ? 'name: {{.Name}}' : 'name: {{.Name}}\ndriver: {{.Driver}}\n';
    const text = renderFormat(format, volumes.map((v) => new VolumeContext(v)), VOLUME_HEADER);
    if (text) await ctx.out(text);
  },
});
