// `berth container prune` and `berth system prune` (containers, then images, for now): docker's
// prompts and reports.
import { encodeFilters } from '../api-client.ts';
import type { Command, CommandContext } from '../command.ts';
import { humanSize } from '../units.ts';
import { confirm } from './image-prune.ts';
import { pruneVolumes } from './volume-prune.ts';

interface ContainerPruneReport { ContainersDeleted?: string[] | null; SpaceReclaimed?: number }
interface ImagePruneReport { ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed?: number }

export async function pruneContainers(ctx: CommandContext, filters: string[]): Promise<{ text: string; space: number }> {
  const api = await ctx.api();
  const r = await api.json<ContainerPruneReport>('POST', '/containers/prune', { query: { filters: encodeFilters(filters) } });
  const deleted = r?.ContainersDeleted ?? [];
  if (!deleted.length) return { text: '', space: 0 };
  return { text: `Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`, space: r.SpaceReclaimed ?? 0 };
}

async function pruneImages(ctx: CommandContext, filters: string[], all: boolean): Promise<{ text: string; space: number }> {
  const api = await ctx.api();
  const r = await api.json<ImagePruneReport>('POST', '/images/prune', { query: { filters: encodeFilters([...filters, `dangling=${all ? 'false' : 'true'}`]) } });
  const deleted = r?.ImagesDeleted ?? [];
  if (!deleted.length) return { text: '', space: 0 };
  let text = 'Deleted Images:\n';
  for (const d of deleted) text += d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted ?? ''}\n`;
  return { text: `${text}\n`, space: r.SpaceReclaimed ?? 0 };
}

export const containerPruneCmd = (): Command => ({
  name: 'prune',
  use: '[OPTIONS]',
  short: 'Remove all stopped containers',
  args: { max: 0 },
  flags: [
    { name: 'filter', kind: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  run: async (ctx) => {
    if (!(ctx.flags.force as boolean) && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?'))) return;
    const r = await pruneContainers(ctx, ctx.flags.filter as string[]);
    await ctx.out(`${r.text}Total reclaimed space: ${humanSize(r.space)}\n`);
  },
});

export const systemPruneCmd = (): Command => ({
  name: 'prune',
  use: '[OPTIONS]',
  short: 'Remove unused data',
  args: { max: 0 },
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused images not just dangling ones' },
    { name: 'filter', kind: 'filter', usage: 'Provide filter values (e.g. "label=<key>=<value>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
    { name: 'volumes', kind: 'bool', usage: 'Prune anonymous volumes' },
  ],
  run: async (ctx) => {
    const all = ctx.flags.all as boolean;
    const volumes = ctx.flags.volumes as boolean;
    const warning = `WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n${
      volumes ? '  - all anonymous volumes not used by at least one container\n' : ''}${
      all ? '  - all images without at least one container associated to them\n' : '  - all dangling images\n'}  - ${all ? 'all' : 'unused'} build cache\n\nAre you sure you want to continue?`;
    if (!(ctx.flags.force as boolean) && !(await confirm(ctx, warning))) return;
    const filters = ctx.flags.filter as string[];
    const c = await pruneContainers(ctx, filters);
    const v = volumes ? await pruneVolumes(ctx, filters, false) : { text: '', space: 0 };
    const i = await pruneImages(ctx, filters, all);
    await ctx.out(`${c.text}${v.text}${i.text}Total reclaimed space: ${humanSize(c.space + v.space + i.space)}\n`);
  },
});
