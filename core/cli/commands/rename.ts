// `berth rename OLD NEW`: POST /containers/{old}/rename?name=NEW.
import { StatusError, type Command } from '../command.ts';
import { errorText } from '../parallel.ts';

export const renameCmd = (): Command => ({
  name: 'rename',
  use: 'CONTAINER NEW_NAME',
  short: 'Rename a container',
  aliasesHelp: 'berth container rename, berth rename',
  args: { exact: 2 },
  run: async (ctx) => {
    const oldName = ctx.args[0]!.trim();
    const newName = ctx.args[1]!.trim();
    if (!oldName || !newName) throw new StatusError('Error: Neither old nor new names may be empty', 1);
    const api = await ctx.api();
    try {
      await (await api.request('POST', `/containers/${encodeURIComponent(oldName)}/rename`, { query: { name: newName } })).body?.cancel();
    } catch (e) {
      throw new StatusError(`${errorText(e)}\nError: failed to rename container named ${oldName}`, 1);
    }
  },
});
