// `berth volume prune`: asks first (unless -f), then POST /volumes/prune (with `all=true` for -a, as
// the docker CLI sends it to API 1.42+) and prints docker's report.
import { encodeFilters } from '../api-client.ts';
import type { Command, CommandContext } from '../command.ts';
import { humanSize } from '../units.ts';
import { confirm } from './image-prune.ts';

const ANONYMOUS_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?';
const ALL_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?';

/** POST /volumes/prune and docker's report of it (`system prune --volumes` prints it too). */
export async function pruneVolumes(ctx: CommandContext, filters: string[], all: boolean): Promise<{ text: string; space: number }> {
  const api = await ctx.api();
  const r = await api.json<{ VolumesDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/volumes/prune', {
    query: { filters: encodeFilters([...filters, ...(all ? ['all=true'] : [])]) },
  });
  const deleted = r?.VolumesDeleted ?? [];
  return { text: deleted.length ? `Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n` : '', space: r?.SpaceReclaimed ?? 0 };
}

export const volumePruneCmd = (): Command => ({
  name: 'prune',
  use: '[OPTIONS]',
  short: 'Remove unused local volumes',
  args: { max: 0 },
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'filter', kind: 'filter', usage: 'Provide filter values (e.g. "label=<label>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  run: async (ctx) => {
    const all = ctx.flags.all as boolean;
    if (!(ctx.flags.force as boolean) && !(await confirm(ctx, all ? ALL_WARNING : ANONYMOUS_WARNING))) return;
    const r = await pruneVolumes(ctx, ctx.flags.filter as string[], all);
    await ctx.out(`${r.text}Total reclaimed space: ${humanSize(r.space)}\n`);
  },
});
