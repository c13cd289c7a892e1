// `berth attach`: the running container's stdio over a hijacked connection (stdin only if it was
// created with -i), the signal proxy without a TTY, resize with one; exits with the container's
// status, or 1 with `read escape sequence` after the detach keys, as docker does.
import { StatusError, type Command } from '../command.ts';
import { forwardSignals, inspectContainer } from '../container-run.ts';
import { DetachedError, hijack, monitorTtySize, streamHijacked } from '../hijack.ts';

export const attachCmd = (): Command => ({
  name: 'attach',
  use: '[OPTIONS] CONTAINER',
  short: 'Attach local standard input, output, and error streams to a running container',
  aliasesHelp: 'berth container attach, berth attach',
  args: { exact: 1 },
  flags: [
    { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'no-stdin', kind: 'bool', usage: 'Do not attach STDIN' },
    { name: 'sig-proxy', kind: 'bool', default: true, usage: 'Proxy all received signals to the process' },
  ],
  run: async (ctx) => {
    const api = await ctx.api();
    const c = await inspectContainer(api, ctx.args[0]!);
    if (!c.State.Running) throw new StatusError('You cannot attach to a stopped container, start it first', 1);
    if (c.State.Paused) throw new StatusError('You cannot attach to a paused container, unpause it first', 1);
    if (c.State.Restarting) throw new StatusError('You cannot attach to a restarting container, wait until it is running', 1);
    const tty = c.Config.Tty;
    const stdin = !(ctx.flags['no-stdin'] as boolean) && c.Config.OpenStdin;
    if (tty && stdin && !ctx.host.stdin.isTTY) throw new StatusError('the input device is not a TTY', 1);
    const detachKeys = (ctx.flags['detach-keys'] as string) || undefined;
    // Wait first so an exit right after attaching is still seen.
    const waited = api.json<{ StatusCode: number }>('POST', `/containers/${c.Id}/wait`).catch(() => undefined);
    const conn = await hijack(ctx, `/containers/${c.Id}/attach`, { query: { stream: true, stdin, stdout: true, stderr: true, detachKeys } });
    const stopSignals = !tty && (ctx.flags['sig-proxy'] as boolean) ? forwardSignals(ctx, api, c.Id) : () => {};
    const stopResize = tty ? monitorTtySize(ctx, async (h, w) => { await (await api.request('POST', `/containers/${c.Id}/resize`, { query: { h, w } })).body?.cancel(); }) : () => {};
    try {
      try {
        await streamHijacked(ctx, conn, { tty, stdin: stdin ? ctx.host.stdin : undefined, stdout: true, stderr: true, detachKeys });
      } catch (e) {
        if (e instanceof DetachedError) throw new StatusError(e.message, 1);
        throw e;
      }
      const r = await waited;
      return r?.StatusCode ?? 0;
    } finally {
      stopResize();
      stopSignals();
    }
  },
});
