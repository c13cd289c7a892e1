// The container commands at the top level (`berth run`, `berth ps`) and under `berth container`,
// as docker arranges them.
import type { Command } from '../command.ts';
import { attachCmd } from './attach.ts';
import { commitCmd } from './commit.ts';
import { containerInspectCmd } from './container-inspect.ts';
import { containerPruneCmd } from './container-prune.ts';
import { cpCmd } from './cp.ts';
import { diffCmd } from './diff.ts';
import { exportCmd } from './export.ts';
import { portCmd } from './port.ts';
import { statsCmd } from './stats.ts';
import { topCmd } from './top.ts';
import { updateCmd } from './update.ts';
import { execCmd } from './exec.ts';
import { killCmd } from './kill.ts';
import { logsCmd } from './logs.ts';
import { pauseCmd, unpauseCmd } from './pause.ts';
import { containerLsCmd, psCmd } from './ps.ts';
import { renameCmd } from './rename.ts';
import { containerRmCmd, rmCmd } from './rm.ts';
import { createCmd, runCmd } from './run.ts';
import { startCmd } from './start.ts';
import { restartCmd, stopCmd } from './stop.ts';
import { waitCmd } from './wait.ts';

/** Top-level container commands. */
export function containerCommands(): Command[] {
  return [
    runCmd(), execCmd(), psCmd(), attachCmd(), createCmd(), killCmd(), logsCmd(), pauseCmd(), unpauseCmd(), renameCmd(),
    restartCmd(), rmCmd(), startCmd(), stopCmd(), waitCmd(), topCmd(), portCmd(), statsCmd(), cpCmd(), diffCmd(),
    exportCmd(), commitCmd(), updateCmd(),
  ];
}

export function containerGroup(): Command {
  return {
    name: 'container',
    short: 'Manage containers',
    category: 'management',
    subcommands: [
      attachCmd(), commitCmd(), cpCmd(), createCmd(), diffCmd(), execCmd(), exportCmd(), containerInspectCmd(), killCmd(),
      logsCmd(), containerLsCmd(), pauseCmd(), portCmd(), containerPruneCmd(), renameCmd(), restartCmd(), containerRmCmd(),
      runCmd(), startCmd(), statsCmd(), stopCmd(), topCmd(), unpauseCmd(), updateCmd(), waitCmd(),
    ],
  };
}
