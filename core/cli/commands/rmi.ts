// `berth rmi` / `berth image rm`: DELETE /images/{name} for each argument, printing what was
// untagged and deleted, and every failure at the end (exit 1), as docker does.
import { DaemonError } from '../api-client.ts';
import { StatusError, type Command, type CommandContext } from '../command.ts';

interface DeleteItem { Untagged?: string; Deleted?: string }

async function runRmi(ctx: CommandContext): Promise<void> {
  const api = await ctx.api();
  const errors: string[] = [];
  for (const name of ctx.args) {
    try {
      const items = await api.json<DeleteItem[]>('DELETE', `/images/${name}`, {
        query: { force: ctx.flags.force as boolean, noprune: ctx.flags['no-prune'] as boolean },
      });
      let text = '';
      for (const d of items ?? []) text += d.Deleted ? `Deleted: ${d.Deleted}\n` : `Untagged: ${d.Untagged ?? ''}\n`;
      if (text) await ctx.out(text);
    } catch (e) {
      if (e instanceof DaemonError) errors.push(`Error response from daemon: ${e.message}`);
      else throw e;
    }
  }
  if (errors.length) throw new StatusError(errors.join('\n'), 1);
}

function rmiCommand(name: string, aliases: string[]): Command {
  return {
    name,
    aliases,
    use: '[OPTIONS] IMAGE [IMAGE...]',
    short: 'Remove one or more images',
    aliasesHelp: 'berth image rm, berth image remove, berth rmi',
    args: { min: 1 },
    flags: [
      { name: 'force', short: 'f', kind: 'bool', usage: 'Force removal of the image' },
      { name: 'no-prune', kind: 'bool', usage: 'Do not delete untagged parents' },
    ],
    run: async (ctx) => { await runRmi(ctx); },
  };
}

export const rmiCmd = (): Command => rmiCommand('rmi', []);
export const imageRmCmd = (): Command => rmiCommand('rm', ['remove']);
