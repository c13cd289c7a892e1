// `berth top CONTAINER [ps OPTIONS]`: GET /containers/{id}/top, laid out as docker's tabwriter does.
import type { Command } from '../command.ts';
import { tabulate } from '../tabwriter.ts';

export const topCmd = (): Command => ({
  name: 'top',
  use: 'CONTAINER [ps OPTIONS]',
  short: 'Display the running processes of a container',
  aliasesHelp: 'berth container top, berth top',
  args: { min: 1 },
  interspersed: false,
  run: async (ctx) => {
    const [container, ...psArgs] = ctx.args;
    const api = await ctx.api();
    const top = await api.get<{ Titles: string[]; Processes: string[][] | null }>(`/containers/${encodeURIComponent(container!)}/top`,
      { ps_args: psArgs.length ? psArgs.join(' ') : undefined });
    let text = `${top.Titles.join('\t')}\n`;
    for (const p of top.Processes ?? []) text += `${p.join('\t')}\n`;
    await ctx.out(tabulate(text, { minwidth: 20, tabwidth: 1, padding: 3 }));
  },
});
