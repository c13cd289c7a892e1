// `berth exec`: POST /containers/{id}/exec, then POST /exec/{id}/start hijacked (or detached),
// resize with a TTY, and the exit status from GET /exec/{id}/json, as docker's exec runs it.
import { versionLessThan } from '../api-client.ts';
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { FlagError, goQuote } from '../flags.ts';
import { DetachedError, hijack, monitorTtySize, streamHijacked } from '../hijack.ts';
import { parseKeyValueFile } from '../run/env-file.ts';

async function execEnv(ctx: CommandContext): Promise<string[]> {
  const env: string[] = [];
  for (const f of ctx.flags['env-file'] as string[]) {
    const text = await ctx.host.files.readText(f);
    if (text === undefined) throw new StatusError(`open ${f}: no such file or directory`, 1);
    env.push(...parseKeyValueFile(f, text, (k) => ctx.host.env[k]));
  }
  for (const e of ctx.flags.env as string[]) {
    const i = e.indexOf('=');
    const key = i < 0 ? e : e.slice(0, i);
    if (!key) throw new FlagError(`invalid argument ${goQuote(e)} for "-e, --env" flag: invalid environment variable: ${e}`);
    if (i >= 0) env.push(e);
    else env.push(ctx.host.env[key] !== undefined ? `${key}=${ctx.host.env[key]}` : e);
  }
  return env;
}

async function runExec(ctx: CommandContext): Promise<number> {
  const [container, ...cmd] = ctx.args;
  const api = await ctx.api();
  const tty = ctx.flags.tty as boolean;
  const interactive = ctx.flags.interactive as boolean;
  const detach = ctx.flags.detach as boolean;
  const detachKeys = ctx.flags['detach-keys'] as string;
  // docker looks the container up first, so a missing one fails before anything is created.
  await (await api.request('GET', `/containers/${encodeURIComponent(container!)}/json`)).body?.cancel();
  if (tty && interactive && !detach && !ctx.host.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
  const env = await execEnv(ctx);
  const body: Record<string, unknown> = {
    User: ctx.flags.user as string,
    Privileged: ctx.flags.privileged as boolean,
    Tty: tty,
  };
  const size = tty && ctx.host.stdout.isTTY ? ctx.host.terminal?.size() : undefined;
  const consoleSize = size && !versionLessThan(api.version, '1.42') ? [size.height, size.width] : undefined;
  if (consoleSize) body.ConsoleSize = consoleSize;
  Object.assign(body, {
    AttachStdin: interactive && !detach,
    AttachStderr: !detach,
    AttachStdout: !detach,
    Detach: detach,
    DetachKeys: detachKeys,
    Env: env.length ? env : null,
    WorkingDir: ctx.flags.workdir as string,
    Cmd: cmd,
  });
  const created = await api.json<{ Id: string }>('POST', `/containers/${encodeURIComponent(container!)}/exec`, { json: body });
  const execId = created.Id;
  const startBody: Record<string, unknown> = { Detach: detach, Tty: tty };
  if (consoleSize) startBody.ConsoleSize = consoleSize;
  if (detach) {
    await (await api.request('POST', `/exec/${execId}/start`, { json: startBody })).body?.cancel();
    return 0;
  }
  const conn = await hijack(ctx, `/exec/${execId}/start`, { json: startBody });
  const stopResize = tty ? monitorTtySize(ctx, async (h, w) => { await (await api.request('POST', `/exec/${execId}/resize`, { query: { h, w } })).body?.cancel(); }) : () => {};
  try {
    await streamHijacked(ctx, conn, { tty, stdin: interactive ? ctx.host.stdin : undefined, stdout: true, stderr: true, detachKeys: detachKeys || undefined });
  } catch (e) {
    if (e instanceof DetachedError) return 0;
    throw e;
  } finally {
    stopResize();
  }
  const inspect = await api.get<{ ExitCode: number | null; Running: boolean }>(`/exec/${execId}/json`);
  return inspect.ExitCode ?? 0;
}

export const execCmd = (): Command => ({
  name: 'exec',
  use: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  short: 'Execute a command in a running container',
  aliasesHelp: 'berth container exec, berth exec',
  args: { min: 2 },
  interspersed: false,
  category: 'common',
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', usage: 'Detached mode: run command in the background' },
    { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'env', short: 'e', kind: 'list', usage: 'Set environment variables' },
    { name: 'env-file', kind: 'list', usage: 'Read in a file of environment variables' },
    { name: 'interactive', short: 'i', kind: 'bool', usage: 'Keep STDIN open even if not attached' },
    { name: 'privileged', kind: 'bool', usage: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', kind: 'bool', usage: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', kind: 'string', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', kind: 'string', usage: 'Working directory inside the container' },
  ],
  run: runExec,
});
