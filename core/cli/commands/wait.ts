// `berth wait`: POST /containers/{id}/wait for each container, printing each exit status.
import type { Command } from '../command.ts';
import { errorText, failWith } from '../parallel.ts';

export const waitCmd = (): Command => ({
  name: 'wait',
  use: 'CONTAINER [CONTAINER...]',
  short: 'Block until one or more containers stop, then print their exit codes',
  aliasesHelp: 'berth container wait, berth wait',
  args: { min: 1 },
  run: async (ctx) => {
    const api = await ctx.api();
    const errors: string[] = [];
    for (const name of ctx.args) {
      try {
        const r = await api.json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', `/containers/${encodeURIComponent(name)}/wait`);
        if (r?.Error?.Message) throw new Error(r.Error.Message);
        await ctx.out(`${r?.StatusCode ?? 0}\n`);
      } catch (e) {
        errors.push(errorText(e));
      }
    }
    if (errors.length) failWith(errors);
  },
});
