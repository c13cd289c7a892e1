// `berth network ...`: the network group as docker arranges it.
import type { Command } from '../command.ts';
import { INSPECT_FORMAT_HELP } from '../formatter.ts';
import { inspectAll } from './inspect.ts';
import { networkConnectCmd, networkDisconnectCmd } from './network-connect.ts';
import { networkCreateCmd } from './network-create.ts';
import { networkLsCmd } from './network-ls.ts';
import { networkPruneCmd } from './network-prune.ts';
import { networkRmCmd } from './network-rm.ts';

const networkInspectCmd = (): Command => ({
  name: 'inspect',
  use: '[OPTIONS] NETWORK [NETWORK...]',
  short: 'Display detailed information on one or more networks',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', kind: 'string', usage: INSPECT_FORMAT_HELP },
    { name: 'verbose', short: 'v', kind: 'bool', usage: 'Verbose output for diagnostics' },
  ],
  run: async (ctx) => {
    const api = await ctx.api();
    const query = ctx.flags.verbose as boolean ? { verbose: 'true' } : undefined;
    await inspectAll(ctx, ctx.args, async (name) => ({ raw: await (await api.request('GET', `/networks/${encodeURIComponent(name)}`, { query })).text() }));
  },
});

export function networkGroup(): Command {
  return {
    name: 'network',
    short: 'Manage networks',
    category: 'management',
    subcommands: [networkConnectCmd(), networkCreateCmd(), networkDisconnectCmd(), networkInspectCmd(), networkLsCmd(), networkPruneCmd(), networkRmCmd()],
  };
}
