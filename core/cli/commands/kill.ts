// `berth kill [-s SIGNAL]`: POST /containers/{id}/kill, in parallel.
import type { Command } from '../command.ts';
import { failWith, forEachContainer, post } from '../parallel.ts';

export const killCmd = (): Command => ({
  name: 'kill',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Kill one or more running containers',
  aliasesHelp: 'berth container kill, berth kill',
  args: { min: 1 },
  flags: [{ name: 'signal', short: 's', kind: 'string', usage: 'Signal to send to the container' }],
  run: async (ctx) => {
    const signal = (ctx.flags.signal as string) || undefined;
    const errors = await forEachContainer(ctx, ctx.args, (name) => post(ctx, `/containers/${encodeURIComponent(name)}/kill`, { signal }));
    if (errors.length) failWith(errors);
  },
});
