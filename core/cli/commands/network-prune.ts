// `berth network prune`: asks first (unless -f), then POST /networks/prune and docker's report.
import { encodeFilters } from '../api-client.ts';
import type { Command, CommandContext } from '../command.ts';
import { confirm } from './image-prune.ts';

const WARNING = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?';

/** POST /networks/prune and docker's report of it: `Deleted Networks:` and the names, or nothing. */
export async function pruneNetworks(ctx: CommandContext, filters: string[]): Promise<string> {
  const api = await ctx.api();
  const r = await api.json<{ NetworksDeleted?: string[] | null }>('POST', '/networks/prune', { query: { filters: encodeFilters(filters) } });
  const deleted = r?.NetworksDeleted ?? [];
  return deleted.length ? `Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}` : '';
}

export const networkPruneCmd = (): Command => ({
  name: 'prune',
  use: '[OPTIONS]',
  short: 'Remove all unused networks',
  args: { max: 0 },
  flags: [
    { name: 'filter', kind: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  run: async (ctx) => {
    if (!(ctx.flags.force as boolean) && !(await confirm(ctx, WARNING))) return;
    const report = await pruneNetworks(ctx, ctx.flags.filter as string[]);
    // fmt.Fprintln of the report: a blank line after the names.
    if (report) await ctx.out(`${report}\n`);
  },
});
