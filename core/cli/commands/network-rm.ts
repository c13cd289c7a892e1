// `berth network rm`: DELETE /networks/{id} for each argument, its name on success and each
// failure as it comes; docker then ends with `exit status 1` when any failed.
import { DaemonError } from '../api-client.ts';
import { StatusError, type Command } from '../command.ts';

export const networkRmCmd = (): Command => ({
  name: 'rm',
  aliases: ['remove'],
  aliasesHelp: 'berth network rm, berth network remove',
  use: 'NETWORK [NETWORK...]',
  short: 'Remove one or more networks',
  args: { min: 1 },
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Do not error if the network does not exist' }],
  run: async (ctx) => {
    const api = await ctx.api();
    let failed = false;
    for (const name of ctx.args) {
      try {
        await api.json('DELETE', `/networks/${encodeURIComponent(name)}`);
        await ctx.out(`${name}\n`);
      } catch (e) {
        if (!(e instanceof DaemonError)) throw e;
        if (ctx.flags.force as boolean && e.status === 404) continue;
        await ctx.err(`Error response from daemon: ${e.message}\n`);
        failed = true;
      }
    }
    // cli.StatusError without a status text prints as `exit status N`.
    if (failed) throw new StatusError('exit status 1', 1);
  },
});
