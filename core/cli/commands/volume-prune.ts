// `berth volume prune`: asks first (unless -f), then POST /volumes/prune (with `all=true` for -a, as
// the docker CLI sends it to API 1.42+) and prints docker's report.
import { encodeFilters } from '../api-client.ts';
import type { Command } from '../command.ts';
import { humanSize } from '../units.ts';
import { confirm } from './image-prune.ts';

const ANONYMOUS_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?';
const ALL_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?';

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
    const filters = [...(ctx.flags.filter as string[]), ...(all ? ['all=true'] : [])];
    const api = await ctx.api();
    const r = await api.json<{ VolumesDeleted?: string[] | null; SpaceReclaimed?: number }>('POST', '/volumes/prune', { query: { filters: encodeFilters(filters) } });
    const deleted = r?.VolumesDeleted ?? [];
    const text = deleted.length ? `Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n` : '';
    await ctx.out(`${text}Total reclaimed space: ${humanSize(r?.SpaceReclaimed ?? 0)}\n`);
  },
});
