// `berth container inspect [-s] [-f]`: GET /containers/{id}/json, printed as `berth inspect` prints.
import type { Command } from '../command.ts';
import { INSPECT_FORMAT_HELP } from '../formatter.ts';
import { inspectAll } from './inspect.ts';

export const containerInspectCmd = (): Command => ({
  name: 'inspect',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Display detailed information on one or more containers',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', kind: 'string', usage: INSPECT_FORMAT_HELP },
    { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' },
  ],
  run: async (ctx) => {
    const api = await ctx.api();
    await inspectAll(ctx, ctx.args, async (name) => {
      const res = await api.request('GET', `/containers/${encodeURIComponent(name)}/json`, { query: { size: ctx.flags.size as boolean } });
      return { raw: await res.text() };
    });
  },
});
