// The berth CLI's entry: global flags, daemon address, command dispatch, and docker's mapping of
// errors to messages and exit codes (125 for usage, 1 for daemon and other failures).
import { BerthError } from '../errors.ts';
import { ApiClient, DaemonError, DaemonUnreachableError } from './api-client.ts';
import {
  BIN, checkArgs, commandHelp, findSubcommand, StatusError, UsageError, useLine,
  type Command, type CommandContext,
} from './command.ts';
import { rootCommands } from './commands/index.ts';
import { ConfigFile, configDir } from './config-file.ts';
import { FlagError, flagUsages, parseFlags, type FlagSpec } from './flags.ts';
import { FormatError } from './formatter.ts';
import type { CliHost } from './host.ts';
import { StreamError } from './json-message.ts';

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

function globalFlags(host: CliHost): FlagSpec[] {
  return [
    { name: 'config', kind: 'string', usage: 'Location of client config files', default: configDir({ env: {}, homeDir: host.homeDir }) },
    { name: 'debug', short: 'D', kind: 'bool', usage: 'Enable debug mode' },
    { name: 'host', short: 'H', kind: 'list', usage: 'Daemon socket to connect to' },
    { name: 'log-level', short: 'l', kind: 'string', usage: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', default: 'info' },
    { name: 'version', short: 'v', kind: 'bool', usage: 'Print version information and quit' },
  ];
}

/** Normalizes a daemon address as docker's ParseHost does for the forms berth supports. */
export function parseDaemonHost(h: string): string {
  const s = h.trim();
  if (s.startsWith('unix://')) {
    if (s === 'unix://') return DEFAULT_HOST;
    return s;
  }
  if (s.startsWith('/')) return `unix://${s}`;
  if (s.startsWith('tcp://') || s.startsWith('http://')) {
    const rest = s.replace(/^(tcp|http):\/\//, '');
    return `tcp://${rest.includes(':') ? rest.replace(/\/+$/, '') : `${rest || '127.0.0.1'}:2375`}`;
  }
  if (/^[^/:]*:\d+$/.test(s) || /^\[[0-9a-fA-F:]+\]:\d+$/.test(s)) return `tcp://${s.startsWith(':') ? '127.0.0.1' + s : s}`;
  throw new UsageError(`unable to parse docker host \`${h}\``);
}

/** The daemon address: -H, then BERTH_HOST, then DOCKER_HOST, then the host's default (berthd's socket). */
export function resolveDaemonHost(flagHosts: string[], env: Record<string, string | undefined>, defaultHost = DEFAULT_HOST): string {
  if (flagHosts.length > 1) throw new UsageError('Specify only one -H');
  const h = flagHosts[0] ?? env.BERTH_HOST ?? env.DOCKER_HOST;
  // The default may be one no -H could name (worker://engine); naming it is fine.
  if (h === defaultHost) return h;
  return h ? parseDaemonHost(h) : defaultHost;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic', 'trace'];

function rootHelp(host: CliHost, commands: Command[], cols: number): string {
  const section = (title: string, cmds: Command[]) => {
    if (!cmds.length) return '';
    return `\n${title}:\n` + cmds.map((c) => `  ${c.name.padEnd(11)} ${c.short}`).join('\n') + '\n';
  };
  const visible = commands.filter((c) => !c.hidden);
  const common = visible.filter((c) => c.category === 'common');
  const mgmt = visible.filter((c) => c.category === 'management').sort((a, b) => a.name.localeCompare(b.name));
  const other = visible.filter((c) => !c.category || c.category === 'other').sort((a, b) => a.name.localeCompare(b.name));
  return `Usage:  ${BIN} [OPTIONS] COMMAND\n\nA Docker-compatible container engine\n` +
    section('Common Commands', common) + section('Management Commands', mgmt) + section('Commands', other) +
    `\nGlobal Options:\n${flagUsages(globalFlags(host), cols - 1)}` +
    `\nRun '${BIN} COMMAND --help' for more information on a command.\n`;
}

export interface CliResult { exitCode: number }

/** Runs one berth invocation; returns the process exit code. Never throws. */
export async function runCli(argv: string[], host: CliHost): Promise<number> {
  const cols = host.terminalWidth() ?? 80;
  const err = (s: string) => host.stderr.write(s);
  const commands = [...rootCommands(), ...(host.extraCommands ?? [])];
  const root: Command = { name: BIN, short: 'A Docker-compatible container engine', flags: globalFlags(host), subcommands: commands };
  let path = BIN;
  let cmd: Command = root;
  try {
    // Global flags come before the command (docker's root does not intersperse).
    const g = parseFlags(globalFlags(host), argv, { interspersed: false });
    if (g.values.help) {
      await host.stdout.write(rootHelp(host, commands, cols));
      return 0;
    }
    if (g.values.version) {
      await host.stdout.write(`${BIN} version ${host.build.version}, build ${host.build.commit}\n`);
      return 0;
    }
    const level = String(g.values['log-level']);
    if (!LOG_LEVELS.includes(level)) throw new StatusError(`Unable to parse logging level: ${level}`, 1);
    let args = g.args;
    if (args.length === 0) {
      await host.stdout.write(rootHelp(host, commands, cols));
      return 0;
    }
    // Walk down the command tree.
    for (;;) {
      const name = args[0];
      if (!cmd.subcommands?.length || name === undefined) break;
      if (name === 'help' && cmd === root) {
        const target = args[1] !== undefined ? findSubcommand(root, args[1]) : undefined;
        if (!target) {
          await host.stdout.write(rootHelp(host, commands, cols));
          return 0;
        }
        await host.stdout.write(commandHelp(target, `${BIN} ${target.name}`, cols));
        return 0;
      }
      if (name.startsWith('-')) break;
      const sub = findSubcommand(cmd, name);
      if (!sub) {
        if (cmd === root) throw new UsageError(`${BIN}: unknown command: ${BIN} ${name}\n\nRun '${BIN} --help' for more information`);
        if (cmd.run) break;
        throw new UsageError(`${BIN}: unknown command: ${path} ${name}\n\nUsage:  ${path}\n\nRun '${path} --help' for more information`);
      }
      cmd = sub;
      path = `${path} ${sub.name}`;
      args = args.slice(1);
    }
    const parsed = parseFlags(cmd.flags ?? [], args, { interspersed: cmd.interspersed ?? true });
    if (parsed.values.help || !cmd.run) {
      if (!cmd.run && parsed.args.length > 0 && !parsed.values.help) {
        throw new UsageError(`${BIN}: unknown command: ${path} ${parsed.args[0]}\n\nUsage:  ${path}\n\nRun '${path} --help' for more information`);
      }
      // A group run bare shows its help on stderr (docker's ShowHelp(Err)); --help writes stdout.
      await (parsed.values.help ? host.stdout : host.stderr).write(commandHelp(cmd, path, cols));
      return 0;
    }
    checkArgs(cmd, path, parsed.args);

    const address = resolveDaemonHost(g.values.host as string[], host.env, host.defaultDaemonHost);
    let client: ApiClient | undefined;
    let config: ConfigFile | undefined;
    const configPath = g.changed.has('config') ? String(g.values.config) : undefined;
    const ctx: CommandContext = {
      host,
      flags: parsed.values,
      changed: parsed.changed,
      args: parsed.args,
      commandPath: path,
      command: cmd,
      api: async () => {
        if (!client) {
          client = new ApiClient({
            address,
            fetch: host.daemonFetch(address),
            version: host.env.DOCKER_API_VERSION || undefined,
            userAgent: `Berth-Client/${host.build.version} (${host.build.os})`,
          });
          await client.negotiate();
        }
        return client;
      },
      config: async () => (config ??= await ConfigFile.load(host.files, configDir({ flag: configPath, env: host.env, homeDir: host.homeDir }))),
      out: (t) => host.stdout.write(t),
      err: (t) => host.stderr.write(t),
      now: () => host.now?.() ?? new Date(),
      globals: { debug: g.values.debug as boolean, logLevel: level },
    };
    const code = await cmd.run(ctx);
    return code ?? 0;
  } catch (e) {
    return reportError(e, cmd, path, err);
  }
}

async function reportError(e: unknown, cmd: Command, path: string, err: (s: string) => Promise<void>): Promise<number> {
  if (e instanceof FlagError) {
    await err(`${e.message}\n\nUsage:  ${useLine(cmd, path)}\n\nRun '${path} --help' for more information\n`);
    return 125;
  }
  if (e instanceof UsageError) {
    await err(`${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof StatusError) {
    if (e.message) await err(`${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof DaemonError) {
    await err(`Error response from daemon: ${e.message}\n`);
    return 1;
  }
  if (e instanceof DaemonUnreachableError || e instanceof StreamError || e instanceof FormatError || e instanceof BerthError) {
    await err(`${e.message}\n`);
    return 1;
  }
  const message = e instanceof Error ? e.message : String(e);
  await err(`${message}\n`);
  return 1;
}
