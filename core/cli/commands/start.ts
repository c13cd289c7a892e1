// `berth start [-a] [-i] CONTAINER...`: without -a/-i a POST start per container; with them,
// docker's attached start of one container: attach, wait, start, stream, exit with its status.
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { inspectContainer, forwardSignals, runStatusError, waitExitOrRemoved } from '../container-run.ts';
import { DetachedError, hijack, monitorTtySize, streamHijacked } from '../hijack.ts';
import { errorText } from '../parallel.ts';

async function startAttached(ctx: CommandContext): Promise<number> {
  if (ctx.args.length > 1) throw new StatusError('you cannot start and attach multiple containers at once', 1);
  const api = await ctx.api();
  const c = await inspectContainer(api, ctx.args[0]!);
  const tty = c.Config.Tty;
  const interactive = (ctx.flags.interactive as boolean) && c.Config.OpenStdin;
  if (tty && interactive && !ctx.host.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
  const detachKeys = (ctx.flags['detach-keys'] as string) || undefined;
  const conn = await hijack(ctx, `/containers/${c.Id}/attach`, {
    query: { stream: true, stdin: interactive, stdout: true, stderr: true, detachKeys },
  });
  const stopSignals = !tty && ctx.flags['sig-proxy'] !== false ? forwardSignals(ctx, api, c.Id) : () => {};
  try {
    const stream = streamHijacked(ctx, conn, { tty, stdin: interactive ? ctx.host.stdin : undefined, stdout: true, stderr: true, detachKeys });
    stream.catch(() => {});
    const status = waitExitOrRemoved(ctx, api, c.Id, !!c.HostConfig.AutoRemove);
    try {
      await (await api.request('POST', `/containers/${c.Id}/start`)).body?.cancel();
    } catch (e) {
      conn.close();
      throw runStatusError(ctx, e);
    }
    const stopResize = tty ? monitorTtySize(ctx, async (h, w) => { await (await api.request('POST', `/containers/${c.Id}/resize`, { query: { h, w } })).body?.cancel(); }) : () => {};
    try {
      try {
        await stream;
      } catch (e) {
        if (e instanceof DetachedError) return 0;
        throw e;
      }
      return await status;
    } finally {
      stopResize();
    }
  } finally {
    stopSignals();
  }
}

export const startCmd = (): Command => ({
  name: 'start',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Start one or more stopped containers',
  aliasesHelp: 'berth container start, berth start',
  args: { min: 1 },
  flags: [
    { name: 'attach', short: 'a', kind: 'bool', usage: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'checkpoint', kind: 'string', usage: 'Restore from this checkpoint', hidden: true },
    { name: 'checkpoint-dir', kind: 'string', usage: 'Use a custom checkpoint storage directory', hidden: true },
    { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'interactive', short: 'i', kind: 'bool', usage: "Attach container's STDIN" },
  ],
  run: async (ctx) => {
    if (ctx.flags.attach || ctx.flags.interactive) return startAttached(ctx);
    const api = await ctx.api();
    const errors: string[] = [];
    const failed: string[] = [];
    for (const name of ctx.args) {
      try {
        await (await api.request('POST', `/containers/${encodeURIComponent(name)}/start`)).body?.cancel();
        await ctx.out(`${name}\n`);
      } catch (e) {
        errors.push(errorText(e));
        failed.push(name);
      }
    }
    if (failed.length) throw new StatusError(`${errors.join('\n')}\nError: failed to start containers: ${failed.join(', ')}`, 1);
    return 0;
  },
});
