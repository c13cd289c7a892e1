// `berth pause` and `berth unpause`: the cgroup freezer through POST /containers/{id}/(un)pause.
import type { Command } from '../command.ts';
import { failWith, forEachContainer, post } from '../parallel.ts';

function pauseLike(verb: 'pause' | 'unpause', short: string): Command {
  return {
    name: verb,
    use: 'CONTAINER [CONTAINER...]',
    short,
    aliasesHelp: `berth container ${verb}, berth ${verb}`,
    args: { min: 1 },
    run: async (ctx) => {
      const errors = await forEachContainer(ctx, ctx.args, (name) => post(ctx, `/containers/${encodeURIComponent(name)}/${verb}`));
      if (errors.length) failWith(errors);
    },
  };
}

export const pauseCmd = (): Command => pauseLike('pause', 'Pause all processes within one or more containers');
export const unpauseCmd = (): Command => pauseLike('unpause', 'Unpause all processes within one or more containers');
