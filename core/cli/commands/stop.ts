// `berth stop` and `berth restart`: POST /containers/{id}/stop|restart with -t/--timeout and
// -s/--signal, in parallel over the containers named.
import type { Command, CommandContext } from '../command.ts';
import { failWith, forEachContainer, post } from '../parallel.ts';

async function runStopLike(ctx: CommandContext, verb: 'stop' | 'restart'): Promise<void> {
  const query: Record<string, string | number | undefined> = {};
  if (ctx.changed.has('timeout')) query.t = ctx.flags.timeout as number;
  if (ctx.flags.signal) query.signal = ctx.flags.signal as string;
  const errors = await forEachContainer(ctx, ctx.args, (name) => post(ctx, `/containers/${encodeURIComponent(name)}/${verb}`, query));
  if (errors.length) failWith(errors);
}

function stopLike(verb: 'stop' | 'restart', short: string): Command {
  return {
    name: verb,
    use: '[OPTIONS] CONTAINER [CONTAINER...]',
    short,
    aliasesHelp: `berth container ${verb}, berth ${verb}`,
    args: { min: 1 },
    flags: [
      { name: 'signal', short: 's', kind: 'string', usage: 'Signal to send to the container' },
      { name: 'timeout', short: 't', kind: 'int', usage: 'Seconds to wait before killing the container' },
      { name: 'time', kind: 'int', usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true },
    ],
    run: async (ctx) => {
      if (ctx.changed.has('time') && !ctx.changed.has('timeout')) {
        ctx.changed.add('timeout');
        ctx.flags.timeout = ctx.flags.time as number;
      }
      await runStopLike(ctx, verb);
    },
  };
}

export const stopCmd = (): Command => stopLike('stop', 'Stop one or more running containers');
export const restartCmd = (): Command => stopLike('restart', 'Restart one or more containers');
