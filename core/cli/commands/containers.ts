// The container commands at the top level (`berth run`, `berth ps`) and under `berth container`,
// as docker arranges them.
import type { Command } from '../command.ts';
import { createCmd, runCmd } from './run.ts';

/** Top-level container commands. */
export function containerCommands(): Command[] {
  return [runCmd(), createCmd()];
}

export function containerGroup(): Command {
  return {
    name: 'container',
    short: 'Manage containers',
    category: 'management',
    subcommands: [runCmd(), createCmd()],
  };
}
