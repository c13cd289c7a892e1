// `berth diff CONTAINER`: GET /containers/{id}/changes as `C /path`, `A /path`, `D /path`.
import type { Command } from '../command.ts';

const KINDS = ['C', 'A', 'D'];

export const diffCmd = (): Command => ({
  name: 'diff',
  use: 'CONTAINER',
  short: "Inspect changes to files or directories on a container's filesystem",
  aliasesHelp: 'berth container diff, berth diff',
  args: { exact: 1 },
  run: async (ctx) => {
    const api = await ctx.api();
    const changes = await api.get<Array<{ Kind: number; Path: string }> | null>(`/containers/${encodeURIComponent(ctx.args[0]!)}/changes`);
    let text = '';
    for (const c of changes ?? []) text += `${KINDS[c.Kind] ?? '?'} ${c.Path}\n`;
    if (text) await ctx.out(text);
  },
});
