// Commands as cobra models them for the docker CLI: a tree of commands with flags, argument
// counts, aliases and docker's help and usage-error layouts (with `berth` where docker says
// `docker`).
import type { ApiClient } from './api-client.ts';
import type { ConfigFile } from './config-file.ts';
import { flagUsages, type FlagSpec, type FlagValue } from './flags.ts';
import type { CliHost } from './host.ts';

export const BIN = 'berth';

export interface CommandContext {
  host: CliHost;
  flags: Record<string, FlagValue>;
  /** Long names of the flags the user set explicitly. */
  changed: Set<string>;
  args: string[];
  /** `berth image ls`. */
  commandPath: string;
  command: Command;
  /** The API client, after version negotiation with the daemon. */
  api(): Promise<ApiClient>;
  /** The client config (config.json). */
  config(): Promise<ConfigFile>;
  out(text: string | Uint8Array): Promise<void>;
  err(text: string): Promise<void>;
  now(): Date;
  /** Global options given before the command (-D, -l). */
  globals: { debug: boolean; logLevel: string };
}

export interface ArgsRule {
  exact?: number;
  min?: number;
  max?: number;
}

export interface Command {
  name: string;
  /** cobra's Use without the name: `[OPTIONS] IMAGE [IMAGE...]`. */
  use?: string;
  aliases?: string[];
  short: string;
  long?: string;
  /** The "Aliases:" line docker shows (`docker image ls, docker image list, docker images`), with `berth`. */
  aliasesHelp?: string;
  flags?: FlagSpec[];
  args?: ArgsRule;
  /** false: flags stop at the first argument (commands that take a command line). */
  interspersed?: boolean;
  subcommands?: Command[];
  hidden?: boolean;
  /** Root help sections. */
  category?: 'common' | 'management' | 'other';
  run?(ctx: CommandContext): Promise<number | void>;
}

/** A usage error (wrong argument count, unknown command): docker prints it and exits 1. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An error whose message is already complete and goes to stderr as is, with an exit code. */
export class StatusError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'StatusError';
  }
}

export function useLine(cmd: Command, path: string): string {
  if (cmd.subcommands?.length && !cmd.run) return `${path}${cmd.flags?.length ? ' [OPTIONS]' : ''} COMMAND`;
  return cmd.use ? `${path} ${cmd.use}` : path;
}

function pluralize(word: string, n: number): string {
  return n === 1 ? word : `${word}s`;
}

/** Checks the argument count with docker's messages (cli.ExactArgs and friends). */
export function checkArgs(cmd: Command, path: string, args: string[]): void {
  const rule = cmd.args;
  if (!rule) return;
  const usage = useLine(cmd, path);
  if (rule.exact !== undefined && args.length !== rule.exact) {
    throw new UsageError(`${BIN}: '${path}' requires ${rule.exact} ${pluralize('argument', rule.exact)}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`);
  }
  if (rule.min !== undefined && args.length < rule.min) {
    throw new UsageError(`${BIN}: '${path}' requires at least ${rule.min} ${pluralize('argument', rule.min)}\n\nUsage:  ${usage}\n\nSee '${path} --help' for more information`);
  }
  if (rule.max !== undefined && args.length > rule.max) {
    if (rule.max === 0) {
      throw new UsageError(`${BIN}: '${path}' accepts no arguments\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`);
    }
    throw new UsageError(`${BIN}: '${path}' requires at most ${rule.max} ${pluralize('argument', rule.max)}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`);
  }
}

/** The help text docker's usage template prints for a (sub)command. */
export function commandHelp(cmd: Command, path: string, cols: number): string {
  let s = `Usage:  ${useLine(cmd, path)}\n\n${(cmd.long ?? cmd.short).trim()}`;
  if (cmd.aliasesHelp || cmd.aliases?.length) {
    s += `\n\nAliases:\n  ${cmd.aliasesHelp ?? [cmd.name, ...(cmd.aliases ?? [])].join(', ')}`;
  }
  const visibleFlags = (cmd.flags ?? []).filter((f) => !f.hidden);
  if (visibleFlags.length) {
    s += `\n\nOptions:\n${flagUsages(visibleFlags, cols - 1).replace(/\s+$/, '')}`;
  }
  const subs = (cmd.subcommands ?? []).filter((c) => !c.hidden);
  if (subs.length) {
    const pad = Math.max(11, ...subs.map((c) => c.name.length + 1));
    s += '\n\nCommands:';
    for (const c of [...subs].sort((a, b) => a.name.localeCompare(b.name))) s += `\n  ${c.name.padEnd(pad)} ${c.short}`;
    s += `\n\nRun '${path} COMMAND --help' for more information on a command.`;
  }
  return s + '\n';
}

export function findSubcommand(cmd: Command, name: string): Command | undefined {
  return cmd.subcommands?.find((c) => c.name === name || c.aliases?.includes(name));
}
