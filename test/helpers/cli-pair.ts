// berth's CLI and the real docker CLI side by side against one daemon (the same config dir, UTC),
// for tests that compare what the two print.
import type { TestDaemon } from './berthd.ts';
import { berthCliCommand } from './berth-cli.ts';
import { runCommand, type RunResult } from './docker-cli.ts';

export type CliRun = (args: string[], input?: string, env?: Record<string, string>) => Promise<RunResult>;

/** `berth` and `docker` runners; the daemon and config dir are read at each call (tests set them in before()). */
export function cliPair(daemon: () => TestDaemon, configDir: () => string): { berth: CliRun; docker: CliRun } {
  const berthArgs = berthCliCommand()!.slice(1);
  const env = () => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: daemon().host, DOCKER_CONFIG: configDir(),
    DOCKER_CLI_HINTS: 'false', TZ: 'UTC',
  });
  return {
    berth: (args, input, extra = {}) => runCommand(process.execPath, [...berthArgs, ...args], { env: { ...env(), ...extra }, ...(input ? { input } : {}) }),
    docker: (args, input, extra = {}) => daemon().docker(args, { configDir: configDir(), env: { TZ: 'UTC', ...extra }, ...(input ? { input } : {}) }),
  };
}
