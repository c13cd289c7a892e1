// `berth rm [-f] [-v] [-l]`: DELETE /containers/{id}, one request per container in parallel; with
// -f a container that does not exist is reported but not an error (docker 28).
import { DaemonError } from '../api-client.ts';
import type { Command } from '../command.ts';
import { failWith, forEachContainer } from '../parallel.ts';

export function rmCommand(name: string, aliases: string[] = []): Command {
  return {
    name,
    aliases,
    use: '[OPTIONS] CONTAINER [CONTAINER...]',
    short: 'Remove one or more containers',
    aliasesHelp: 'berth container rm, berth container remove, berth rm',
    args: { min: 1 },
    flags: [
      { name: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of a running container (uses SIGKILL)' },
      { name: 'link', short: 'l', kind: 'bool', usage: 'Remove the specified link' },
      { name: 'volumes', short: 'v', kind: 'bool', usage: 'Remove anonymous volumes associated with the container' },
    ],
    run: async (ctx) => {
      const force = ctx.flags.force as boolean;
      const errors = await forEachContainer(ctx, ctx.args, async (ref) => {
        const id = ref.replace(/^\/+|\/+$/g, '');
        if (!id) throw new Error('container name cannot be empty');
        const api = await ctx.api();
        const res = await api.request('DELETE', `/containers/${encodeURIComponent(id)}`, {
          query: { force, v: ctx.flags.volumes as boolean, link: ctx.flags.link as boolean },
        });
        await res.body?.cancel();
      }, { ignore: (e) => force && e instanceof DaemonError && e.status === 404 });
      if (errors.length) failWith(errors);
    },
  };
}

export const rmCmd = (): Command => rmCommand('rm');
export const containerRmCmd = (): Command => rmCommand('rm', ['remove']);
