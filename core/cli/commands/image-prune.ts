// `berth image prune`: asks first (unless -f), then POST /images/prune with dangling=true (or
// false with -a) and prints docker's report.
import { encodeFilters } from '../api-client.ts';
import type { Command, CommandContext } from '../command.ts';
import { humanSize } from '../units.ts';

const DANGLING_WARNING = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
const ALL_WARNING = 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?';

/** docker's PromptForConfirmation: `[y/N]`, only `y`/`Y` confirms. */
export async function confirm(ctx: CommandContext, message: string): Promise<boolean> {
  await ctx.out(`${message} [y/N] `);
  const answer = await ctx.host.stdin.readLine();
  return (answer ?? '').trim().toLowerCase() === 'y';
}

interface PruneReport { ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed?: number }

async function runPrune(ctx: CommandContext): Promise<void> {
  const all = ctx.flags.all as boolean;
  if (!(ctx.flags.force as boolean)) {
    if (!(await confirm(ctx, all ? ALL_WARNING : DANGLING_WARNING))) return;
  }
  const filters = [...(ctx.flags.filter as string[]), `dangling=${all ? 'false' : 'true'}`];
  const api = await ctx.api();
  const report = await api.json<PruneReport>('POST', '/images/prune', { query: { filters: encodeFilters(filters) } });
  let output = '';
  const deleted = report?.ImagesDeleted ?? [];
  if (deleted.length) {
    output = 'Deleted Images:\n';
    for (const d of deleted) output += d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted ?? ''}\n`;
    output += '\n';
  }
  await ctx.out(`${output}Total reclaimed space: ${humanSize(deleted.length ? report.SpaceReclaimed ?? 0 : 0)}\n`);
}

export const imagePruneCmd = (): Command => ({
  name: 'prune',
  use: '[OPTIONS]',
  short: 'Remove unused images',
  args: { max: 0 },
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused images, not just dangling ones' },
    { name: 'filter', kind: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  run: async (ctx) => { await runPrune(ctx); },
});
