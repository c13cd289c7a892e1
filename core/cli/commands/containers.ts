// The container commands at the top level (`berth run`, `berth ps`) and under `berth container`,
// as docker arranges them.
import type { Command } from '../command.ts';
import { attachCmd } from './attach.ts';
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
    restartCmd(), rmCmd(), startCmd(), stopCmd(), waitCmd(),
  ];
}

export function containerGroup(): Command {
  return {
    name: 'container',
    short: 'Manage containers',
    category: 'management',
    subcommands: [
      attachCmd(), createCmd(), execCmd(), killCmd(), logsCmd(), containerLsCmd(), pauseCmd(), renameCmd(), restartCmd(),
      containerRmCmd(), runCmd(), startCmd(), stopCmd(), unpauseCmd(), waitCmd(),
    ],
  };
}
