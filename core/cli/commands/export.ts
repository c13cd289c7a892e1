// `berth export [-o FILE] CONTAINER`: the container's filesystem as a tar from
// GET /containers/{id}/export, never onto a terminal.
import { StatusError, type Command } from '../command.ts';

export const exportCmd = (): Command => ({
  name: 'export',
  use: '[OPTIONS] CONTAINER',
  short: "Export a container's filesystem as a tar archive",
  aliasesHelp: 'berth container export, berth export',
  args: { exact: 1 },
  flags: [{ name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' }],
  run: async (ctx) => {
    const output = ctx.flags.output as string;
    if (!output && ctx.host.stdout.isTTY) {
      throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    }
    const api = await ctx.api();
    const res = await api.request('GET', `/containers/${encodeURIComponent(ctx.args[0]!)}/export`);
    if (!res.body) return;
    if (output) {
      await ctx.host.files.writeStream(output, res.body);
      return;
    }
    const r = res.body.getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) return;
      await ctx.host.stdout.write(value);
    }
  },
});
