// `berth network ls`: GET /networks, sorted by name as docker sorts it, through docker's network
// formatter (NETWORK ID, NAME, DRIVER, SCOPE).
import { encodeFilters } from '../api-client.ts';
import type { Command } from '../command.ts';
import { DEFAULT_QUIET_FORMAT, FORMAT_HELP, RAW_FORMAT_KEY, renderFormat, SubContext, TABLE_FORMAT_KEY, truncateID } from '../formatter.ts';
import { naturalLess } from '../natural-order.ts';
import { goTimeString } from '../units.ts';

/** The fields of `GET /networks`' entries the formatter reads. */
export interface NetworkSummary {
  Name: string;
  Id: string;
  Created?: string;
  Scope: string;
  Driver: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

const NETWORK_HEADER: Record<string, string> = {
  ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL',
  Labels: 'LABELS', CreatedAt: 'CREATED AT',
};

/** Go's Time.String of an RFC 3339 timestamp as the API sends it (`Z` reads as UTC). */
export function createdAt(text: string | undefined): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text ?? '');
  if (!m) return '0001-01-01 00:00:00 +0000 UTC';
  const nanos = m[2] ? Number(m[2].padEnd(9, '0').slice(0, 9)) : 0;
  const d = new Date(`${m[1]}${m[3]}`);
  if (m[3] === 'Z') return goTimeString(d, { nanos, timeZone: 'UTC' });
  // A fixed offset keeps its wall clock; Go names such a zone by the offset itself.
  const offset = m[3]!.replace(':', '');
  return `${m[1]!.replace('T', ' ')}${m[2] ? `.${m[2].replace(/0+$/, '')}` : ''} ${offset} ${offset}`;
}

export class NetworkContext extends SubContext {
  constructor(private readonly n: NetworkSummary, private readonly trunc: boolean) { super('*network.networkContext'); }
  header() { return NETWORK_HEADER; }
  protected fields() { return ['CreatedAt', 'Driver', 'ID', 'IPv4', 'IPv6', 'Internal', 'Labels', 'Name', 'Scope']; }
  ID() { return this.trunc ? truncateID(this.n.Id) : this.n.Id; }
  Name() { return this.n.Name; }
  Driver() { return this.n.Driver; }
  Scope() { return this.n.Scope; }
  IPv4() { return String(this.n.EnableIPv4 ?? false); }
  IPv6() { return String(this.n.EnableIPv6 ?? false); }
  Internal() { return String(this.n.Internal ?? false); }
  // docker ranges over a Go map here (random order); sorted keys give one stable answer.
  Labels() { return Object.keys(this.n.Labels ?? {}).sort().map((k) => `${k}=${this.n.Labels![k]}`).join(','); }
  Label(name: string) { return this.n.Labels?.[name] ?? ''; }
  CreatedAt() { return createdAt(this.n.Created); }
}

export const networkLsCmd = (): Command => ({
  name: 'ls',
  aliases: ['list'],
  aliasesHelp: 'berth network ls, berth network list',
  use: '[OPTIONS]',
  short: 'List networks',
  args: { max: 0 },
  flags: [
    { name: 'filter', short: 'f', kind: 'filter', usage: 'Provide filter values (e.g. "driver=bridge")' },
    { name: 'format', kind: 'string', usage: FORMAT_HELP },
    { name: 'no-trunc', kind: 'bool', usage: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display network IDs' },
  ],
  run: async (ctx) => {
    const api = await ctx.api();
    const list = await api.json<NetworkSummary[] | null>('GET', '/networks', { query: { filters: encodeFilters(ctx.flags.filter as string[]) } });
    const networks = [...(list ?? [])].sort((a, b) => naturalLess(a.Name, b.Name));
    const quiet = ctx.flags.quiet as boolean;
    let format = ctx.flags.format as string;
    if (!format) {
      const configured = (await ctx.config().catch(() => undefined))?.data.networksFormat;
      format = typeof configured === 'string' && configured && !quiet ? configured : TABLE_FORMAT_KEY;
    }
    // network.NewFormat.
    if (format === TABLE_FORMAT_KEY) format = quiet ? DEFAULT_QUIET_FORMAT : 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
    else if (format === RAW_FORMAT_KEY) format = quiet ? 'network_id: {{.ID}}' : 'network_id: {{.ID}}\nname: {{.Name}}\ndriver: {{.Driver}}\nscope: {{.Scope}}\n';
    const trunc = !(ctx.flags['no-trunc'] as boolean);
    const text = renderFormat(format, networks.map((n) => new NetworkContext(n, trunc)), NETWORK_HEADER);
    if (text) await ctx.out(text);
  },
});
