// `berth network ...`: the network group as docker arranges it.
import type { Command } from '../command.ts';
import { networkConnectCmd, networkDisconnectCmd } from './network-connect.ts';
import { networkCreateCmd } from './network-create.ts';
import { networkInspectCmd } from './network-inspect.ts';
import { networkLsCmd } from './network-ls.ts';
import { networkPruneCmd } from './network-prune.ts';
import { networkRmCmd } from './network-rm.ts';

export function networkGroup(): Command {
  return {
    name: 'network',
    short: 'Manage networks',
    category: 'management',
    subcommands: [networkConnectCmd(), networkCreateCmd(), networkDisconnectCmd(), networkInspectCmd(), networkLsCmd(), networkPruneCmd(), networkRmCmd()],
  };
}
