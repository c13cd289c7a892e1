// `berth volume ...`: the volume group as docker arranges it.
import type { Command } from '../command.ts';
import { INSPECT_FORMAT_HELP } from '../formatter.ts';
import { inspectAll } from './inspect.ts';
import { volumeCreateCmd } from './volume-create.ts';
import { volumeLsCmd } from './volume-ls.ts';
import { volumePruneCmd } from './volume-prune.ts';
import { volumeRmCmd } from './volume-rm.ts';

const volumeInspectCmd = (): Command => ({
  name: 'inspect',
  use: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Display detailed information on one or more volumes',
  args: { min: 1 },
  flags: [{ name: 'format', short: 'f', kind: 'string', usage: INSPECT_FORMAT_HELP }],
  run: async (ctx) => {
    const api = await ctx.api();
    await inspectAll(ctx, ctx.args, async (name) => ({ raw: await (await api.request('GET', `/volumes/${encodeURIComponent(name)}`)).text() }));
  },
});

export function volumeGroup(): Command {
  return {
    name: 'volume',
    short: 'Manage volumes',
    category: 'management',
    subcommands: [volumeCreateCmd(), volumeInspectCmd(), volumeLsCmd(), volumePruneCmd(), volumeRmCmd()],
  };
}
