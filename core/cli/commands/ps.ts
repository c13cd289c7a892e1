// `berth ps` / `berth container ls`: GET /containers/json rendered with docker's container
// formatter (columns CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES; -s adds SIZE).
import { joinHostPort } from '../../network/host-ports.ts';
import { comparePortSummaries, type PortSummary } from '../../network/port-mappings.ts';
import { parseReference, familiarString, familiarName } from '../../reference/reference.ts';
import { encodeFilters } from '../api-client.ts';
import type { Command, CommandContext } from '../command.ts';
import {
  DEFAULT_QUIET_FORMAT, ellipsis, FORMAT_HELP, RAW_FORMAT_KEY, renderFormat, SubContext, TABLE_FORMAT_KEY, truncateID,
} from '../formatter.ts';
import { goTimeString, humanDuration, humanSizeWithPrecision } from '../units.ts';

/** `GET /containers/json`'s Ports entry. */
export type ContainerPort = PortSummary;

export interface ContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image: string;
  ImageID?: string;
  Command: string;
  Created: number;
  Ports?: ContainerPort[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State: string;
  Status: string;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: Array<{ Name?: string; Source?: string; Driver?: string }> | null;
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const CONTAINER_HEADER: Record<string, string> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS', Names: 'NAMES',
  Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS', Platform: 'PLATFORM',
};

/** formatter.NewContainerFormat. */
export function containerFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === TABLE_FORMAT_KEY) {
    if (quiet) return DEFAULT_QUIET_FORMAT;
    return size ? `${DEFAULT_TABLE}\t{{.Size}}` : DEFAULT_TABLE;
  }
  if (source === RAW_FORMAT_KEY) {
    if (quiet) return 'container_id: {{.ID}}';
    let f = 'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';
    if (size) f += 'size: {{.Size}}\n';
    return f;
  }
  return quiet ? DEFAULT_QUIET_FORMAT : source;
}

/** formatter.DisplayablePorts: consecutive ports grouped, host mappings last. */
export function displayablePorts(ports: ContainerPort[]): string {
  const sorted = [...ports].sort(comparePortSummaries);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, first: number, last: number) => {
    const parts = key.split('/');
    let type = parts[0]!;
    let ip = '';
    if (parts.length > 1) { ip = parts[0]!; type = parts[1]!; }
    let group = String(first);
    if (first !== last) group = `${group}-${last}`;
    if (ip) group = `${joinHostPort(ip, group)}->${group}`;
    return `${group}/${type}`;
  };
  for (const p of sorted) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if ((p.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(p.IP, p.PublicPort ?? 0)}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) { groups.set(key, { first: current, last: current }); continue; }
    if (current === g.last + 1) { g.last = current; continue; }
    result.push(formGroup(key, g.first, g.last));
    // Go re-inserts the key: it keeps its first position in the key order.
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

export class ContainerContext extends SubContext {
  constructor(private readonly c: ContainerSummary, private readonly trunc: boolean, private readonly now: Date) {
    super('*formatter.ContainerContext');
  }
  header() { return CONTAINER_HEADER; }
  protected fields() { return ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status']; }
  ID() { return this.trunc ? truncateID(this.c.Id) : this.c.Id; }
  Names() {
    let names = (this.c.Names ?? []).map((n) => n.replace(/^\//, ''));
    if (this.trunc) {
      const plain = names.find((n) => n.split('/').length === 1);
      if (plain !== undefined) names = [plain];
    }
    return names.join(',');
  }
  Image() {
    const image = this.c.Image;
    if (!image) return '<no image>';
    if (this.trunc) {
      if (this.c.ImageID && truncateID(this.c.ImageID) === truncateID(image)) return truncateID(image);
      try {
        const ref = parseReference(image);
        return ref.tag !== undefined ? familiarString({ ...ref, digest: undefined }) : familiarName(ref);
      } catch { /* not a reference: shown as is */ }
    }
    return image;
  }
  Command() {
    const cmd = this.trunc ? ellipsis(this.c.Command, 20) : this.c.Command;
    return JSON.stringify(cmd);
  }
  CreatedAt() { return goTimeString(new Date(this.c.Created * 1000)); }
  RunningFor() { return `${humanDuration(this.now.getTime() - this.c.Created * 1000)} ago`; }
  Ports() { return displayablePorts(this.c.Ports ?? []); }
  State() { return this.c.State; }
  Status() { return this.c.Status; }
  Size() {
    const srw = humanSizeWithPrecision(this.c.SizeRw ?? 0, 3);
    const sv = humanSizeWithPrecision(this.c.SizeRootFs ?? 0, 3);
    return (this.c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${sv})` : srw;
  }
  Labels() {
    if (!this.c.Labels) return '';
    return Object.entries(this.c.Labels).map(([k, v]) => `${k}=${v}`).join(',');
  }
  Label(name: unknown) { return this.c.Labels?.[String(name)] ?? ''; }
  Mounts() {
    return (this.c.Mounts ?? []).map((m) => {
      const name = m.Name || m.Source || '';
      return this.trunc ? ellipsis(name, 15) : name;
    }).join(',');
  }
  LocalVolumes() { return String((this.c.Mounts ?? []).filter((m) => m.Driver === 'local').length); }
  Networks() { return Object.keys(this.c.NetworkSettings?.Networks ?? {}).sort().join(','); }
  Platform() { return null; }
}

async function runPs(ctx: CommandContext): Promise<void> {
  const quiet = ctx.flags.quiet as boolean;
  let format = ctx.flags.format as string;
  if (!format) {
    const cfg = await ctx.config().catch(() => undefined);
    const psFormat = (cfg?.data as { psFormat?: string } | undefined)?.psFormat;
    format = psFormat && !quiet ? psFormat : TABLE_FORMAT_KEY;
  }
  let size = ctx.flags.size as boolean;
  // The size is costly: asked for only when shown, or when a template uses it (docker #24696).
  if (!quiet && !size && !ctx.changed.has('size') && format !== TABLE_FORMAT_KEY && (format.includes('.Size') || /json \.\s*}}/.test(format))) size = true;
  let limit = ctx.flags.last as number;
  if (ctx.flags.latest && limit === -1) limit = 1;
  const api = await ctx.api();
  const list = await api.get<ContainerSummary[]>('/containers/json', {
    all: ctx.flags.all as boolean,
    limit: limit > 0 ? limit : undefined,
    size,
    filters: encodeFilters(ctx.flags.filter as string[]),
  });
  const f = containerFormat(format, quiet, ctx.flags.size as boolean);
  const rows = (list ?? []).map((c) => new ContainerContext(c, !(ctx.flags['no-trunc'] as boolean), ctx.now()));
  const text = renderFormat(f, rows, CONTAINER_HEADER);
  if (text) await ctx.out(text);
}

export function psCommand(name: string, aliases: string[] = []): Command {
  return {
    name,
    aliases,
    use: '[OPTIONS]',
    short: 'List containers',
    aliasesHelp: 'berth container ls, berth container list, berth container ps, berth ps',
    args: { max: 0 },
    category: 'common',
    flags: [
      { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
      { name: 'filter', short: 'f', kind: 'filter', usage: 'Filter output based on conditions provided' },
      { name: 'format', kind: 'string', usage: FORMAT_HELP },
      { name: 'last', short: 'n', kind: 'int', default: -1, usage: 'Show n last created containers (includes all states)' },
      { name: 'latest', short: 'l', kind: 'bool', usage: 'Show the latest created container (includes all states)' },
      { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display container IDs' },
      { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' },
    ],
    run: async (ctx) => { await runPs(ctx); },
  };
}

export const psCmd = (): Command => psCommand('ps');
export const containerLsCmd = (): Command => psCommand('ls', ['list', 'ps']);
