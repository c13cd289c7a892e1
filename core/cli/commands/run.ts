// `berth run` and `berth create`: docker's runContainer — create (pulling a missing image), attach
// before start so no output is lost, wait (condition next-exit, or removed with --rm), start,
// resize, stream until the container ends, and exit with its status.
import { FlagError } from '../flags.ts';
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { createContainer, forwardSignals, runStatusError, waitExitOrRemoved } from '../container-run.ts';
import { DetachedError, hijack, monitorTtySize, streamHijacked } from '../hijack.ts';
import { parseContainerOptions, type ContainerCreate } from '../run/config.ts';
import { containerFlags, runOnlyFlags } from '../run/flags.ts';

async function parseOptions(ctx: CommandContext, kind: 'run' | 'create'): Promise<ContainerCreate> {
  try {
    return await parseContainerOptions({
      flags: ctx.flags, changed: ctx.changed, args: ctx.args, env: ctx.host.env,
      readFile: (p) => ctx.host.files.readText(p),
    }, kind);
  } catch (e) {
    if (e instanceof FlagError) throw e;
    throw runStatusError(ctx, e instanceof StatusError ? e : new Error((e as Error).message));
  }
}

function consoleSize(ctx: CommandContext, tty: boolean): [number, number] {
  if (!tty) return [0, 0];
  const s = ctx.host.stdout.isTTY ? ctx.host.terminal?.size() : undefined;
  return s ? [s.height, s.width] : [0, 0];
}

async function runRun(ctx: CommandContext): Promise<number> {
  const opts = await parseOptions(ctx, 'run');
  const body = opts.body;
  const hostConfig = body.HostConfig as Record<string, unknown>;
  const detach = ctx.flags.detach as boolean;
  const tty = body.Tty as boolean;
  if (detach && ctx.changed.has('attach')) throw new StatusError('conflicting options: cannot specify both --attach and --detach', 1);
  if (tty && body.AttachStdin && !ctx.host.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
  hostConfig.ConsoleSize = consoleSize(ctx, tty);
  const quiet = ctx.flags.quiet as boolean;

  let id: string;
  try {
    id = (await createContainer(ctx, opts, quiet)).id;
  } catch (e) {
    throw runStatusError(ctx, e);
  }
  const api = await ctx.api();
  const autoRemove = hostConfig.AutoRemove as boolean;

  if (detach) {
    try {
      await (await api.request('POST', `/containers/${id}/start`)).body?.cancel();
    } catch (e) {
      throw runStatusError(ctx, e);
    }
    await ctx.out(`${id}\n`);
    return 0;
  }

  const sigProxy = (ctx.flags['sig-proxy'] as boolean) && !tty;
  const stopSignals = sigProxy ? forwardSignals(ctx, api, id) : () => {};
  try {
    const attachStdin = body.AttachStdin as boolean;
    const attachStdout = body.AttachStdout as boolean;
    const attachStderr = body.AttachStderr as boolean;
    const detachKeys = (ctx.flags['detach-keys'] as string) || undefined;
    let stream: Promise<void> | undefined;
    if (attachStdin || attachStdout || attachStderr) {
      let conn;
      try {
        conn = await hijack(ctx, `/containers/${id}/attach`, {
          query: { stream: true, stdin: attachStdin, stdout: attachStdout, stderr: attachStderr, detachKeys },
        });
      } catch (e) {
        throw runStatusError(ctx, e);
      }
      stream = streamHijacked(ctx, conn, {
        tty, stdin: attachStdin ? ctx.host.stdin : undefined, stdout: attachStdout, stderr: attachStderr, detachKeys,
      });
      // Observed before start: a failed start must not leave an unhandled rejection behind.
      stream.catch(() => {});
    }
    const status = waitExitOrRemoved(ctx, api, id, autoRemove);
    try {
      await (await api.request('POST', `/containers/${id}/start`)).body?.cancel();
    } catch (e) {
      // --rm: the daemon removes the container; wait for that before reporting.
      if (autoRemove) await status;
      throw runStatusError(ctx, e);
    }
    const stopResize = tty && ctx.host.stdout.isTTY
      ? monitorTtySize(ctx, async (h, w) => { await (await api.request('POST', `/containers/${id}/resize`, { query: { h, w } })).body?.cancel(); })
      : () => {};
    try {
      if (stream) {
        try {
          await stream;
        } catch (e) {
          // The detach keys leave the container running; run prints nothing and succeeds.
          if (e instanceof DetachedError) return 0;
          await ctx.err(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
        }
      }
      return await status;
    } finally {
      stopResize();
    }
  } finally {
    stopSignals();
  }
}

async function runCreate(ctx: CommandContext): Promise<number> {
  const opts = await parseOptions(ctx, 'create');
  const hostConfig = opts.body.HostConfig as Record<string, unknown>;
  hostConfig.ConsoleSize = consoleSize(ctx, opts.body.Tty as boolean);
  let id: string;
  try {
    id = (await createContainer(ctx, opts, ctx.flags.quiet as boolean)).id;
  } catch (e) {
    throw runStatusError(ctx, e);
  }
  await ctx.out(`${id}\n`);
  return 0;
}

export const runCmd = (): Command => ({
  name: 'run',
  use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create and run a new container from an image',
  aliasesHelp: 'berth container run, berth run',
  args: { min: 1 },
  interspersed: false,
  category: 'common',
  flags: [...containerFlags(), ...runOnlyFlags()],
  run: runRun,
});

export const createCmd = (): Command => ({
  name: 'create',
  use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create a new container',
  aliasesHelp: 'berth container create, berth create',
  args: { min: 1 },
  interspersed: false,
  flags: containerFlags(),
  run: runCreate,
});
