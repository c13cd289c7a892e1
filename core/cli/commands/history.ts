// `berth history`: GET /images/{name}/history in docker's history table.
import type { Command, CommandContext } from '../command.ts';
import { DEFAULT_QUIET_FORMAT, ellipsis, FORMAT_HELP, renderFormat, SubContext, TABLE_FORMAT_KEY, truncateID } from '../formatter.ts';
import { humanDuration, humanSizeWithPrecision, rfc3339Local } from '../units.ts';

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags?: string[] | null;
  Size: number;
  Comment: string;
}

export const HISTORY_HEADER: Record<string, string> = {
  ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT',
};

export function historyFormat(source: string, quiet: boolean, human: boolean): string {
  if (source === TABLE_FORMAT_KEY) {
    if (quiet) return DEFAULT_QUIET_FORMAT;
    if (!human) return 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
    return 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
  }
  return source;
}

export class HistoryContext extends SubContext {
  constructor(private readonly h: HistoryItem, private readonly trunc: boolean, private readonly human: boolean, private readonly now: Date) {
    super('*formatter.historyContext');
  }
  header() { return HISTORY_HEADER; }
  protected fields() { return ['Comment', 'CreatedAt', 'CreatedBy', 'CreatedSince', 'ID', 'Size']; }
  ID() { return this.trunc ? truncateID(this.h.Id) : this.h.Id; }
  CreatedAt() { return rfc3339Local(new Date(this.h.Created * 1000)); }
  CreatedSince() {
    if (!this.human) return this.CreatedAt();
    return humanDuration(this.now.getTime() - this.h.Created * 1000) + ' ago';
  }
  CreatedBy() {
    const s = this.h.CreatedBy.replaceAll('\t', ' ');
    return this.trunc ? ellipsis(s, 45) : s;
  }
  Size() { return this.human ? humanSizeWithPrecision(this.h.Size, 3) : String(this.h.Size); }
  Comment() { return this.h.Comment; }
}

async function runHistory(ctx: CommandContext): Promise<void> {
  const api = await ctx.api();
  const items = await api.get<HistoryItem[]>(`/images/${ctx.args[0]}/history`);
  const human = ctx.flags.human as boolean;
  const format = historyFormat((ctx.flags.format as string) || TABLE_FORMAT_KEY, ctx.flags.quiet as boolean, human);
  const rows = (items ?? []).map((h) => new HistoryContext(h, !(ctx.flags['no-trunc'] as boolean), human, ctx.now()));
  const text = renderFormat(format, rows, HISTORY_HEADER);
  if (text) await ctx.out(text);
}

export const historyCmd = (): Command => ({
  name: 'history',
  use: '[OPTIONS] IMAGE',
  short: 'Show the history of an image',
  aliasesHelp: 'berth image history, berth history',
  args: { exact: 1 },
  flags: [
    { name: 'format', kind: 'string', usage: FORMAT_HELP },
    { name: 'human', short: 'H', kind: 'bool', usage: 'Print sizes and dates in human readable format', default: true },
    { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
  ],
  run: async (ctx) => { await runHistory(ctx); },
});
