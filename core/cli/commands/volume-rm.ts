// `berth volume rm`: DELETE /volumes/{name} for each argument, its name on success, every failure
// at the end (exit 1), as docker does.
import { DaemonError } from '../api-client.ts';
import { StatusError, type Command } from '../command.ts';

export const volumeRmCmd = (): Command => ({
  name: 'rm',
  aliases: ['remove'],
  aliasesHelp: 'berth volume rm, berth volume remove',
  use: '[OPTIONS] VOLUME [VOLUME...]',
  short: 'Remove one or more volumes',
  long: 'Remove one or more volumes. You cannot remove a volume that is in use by a container.',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of one or more volumes' }],
  run: async (ctx) => {
    const api = await ctx.api();
    const errors: string[] = [];
    for (const name of ctx.args) {
      try {
        await api.json('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: ctx.flags.force as boolean } });
        await ctx.out(`${name}\n`);
      } catch (e) {
        if (e instanceof DaemonError) errors.push(`Error response from daemon: ${e.message}`);
        else throw e;
      }
    }
    if (errors.length) throw new StatusError(errors.join('\n'), 1);
  },
});
