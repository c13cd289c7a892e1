// The command tree: top-level commands and the `image` and `system` groups, as docker arranges them.
import type { Command } from '../command.ts';
import { buildCmd, imageBuildCmd } from './build.ts';
import { systemPruneCmd } from './container-prune.ts';
import { containerCommands, containerGroup } from './containers.ts';
import { eventsCmd } from './events.ts';
import { historyCmd } from './history.ts';
import { imagePruneCmd } from './image-prune.ts';
import { imageLsCmd, imagesCmd } from './images.ts';
import { imageInspectCmd, inspectCmd } from './inspect.ts';
import { infoCmd, systemInfoCmd } from './info.ts';
import { loadCmd } from './load.ts';
import { loginCmd, logoutCmd } from './login.ts';
import { networkGroup } from './network.ts';
import { pullCmd } from './pull.ts';
import { pushCmd } from './push.ts';
import { imageRmCmd, rmiCmd } from './rmi.ts';
import { saveCmd } from './save.ts';
import { systemDfCmd } from './system-df.ts';
import { tagCmd } from './tag.ts';
import { versionCmd } from './version.ts';
import { volumeGroup } from './volume.ts';

function imageGroup(): Command {
  return {
    name: 'image',
    short: 'Manage images',
    category: 'management',
    subcommands: [imageBuildCmd(), historyCmd(), imageInspectCmd(), loadCmd(), imageLsCmd(), imagePruneCmd(), pullCmd(), pushCmd(), imageRmCmd(), saveCmd(), tagCmd()],
  };
}

function systemGroup(): Command {
  return {
    name: 'system',
    short: 'Manage berth',
    category: 'management',
    subcommands: [systemDfCmd(), { ...eventsCmd() }, systemInfoCmd(), systemPruneCmd()],
  };
}

export function rootCommands(): Command[] {
  return [
    // Common commands in docker's order: run, exec, ps, build, pull, ...
    ...containerCommands(), containerGroup(),
    buildCmd(), pullCmd(), pushCmd(), imagesCmd(), loginCmd(), logoutCmd(), versionCmd(), infoCmd(),
    imageGroup(), networkGroup(), systemGroup(), volumeGroup(),
    eventsCmd(), historyCmd(), inspectCmd(), loadCmd(), rmiCmd(), saveCmd(), tagCmd(),
  ].map((c) => (c.category ? c : { ...c, category: 'other' as const }));
}
