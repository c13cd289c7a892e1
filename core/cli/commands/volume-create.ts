// `berth volume create`: POST /volumes/create with the driver, its options and labels; prints the name.
import type { Command } from '../command.ts';
import { StatusError } from '../command.ts';
import { toMap as keyValueMap } from '../run/config.ts';

export const volumeCreateCmd = (): Command => ({
  name: 'create',
  use: '[OPTIONS] [VOLUME]',
  short: 'Create a volume',
  args: { max: 1 },
  flags: [
    { name: 'driver', short: 'd', kind: 'string', usage: 'Specify volume driver name', default: 'local' },
    { name: 'label', kind: 'list', usage: 'Set metadata for a volume' },
    { name: 'name', kind: 'string', usage: 'Specify volume name', hidden: true },
    { name: 'opt', short: 'o', kind: 'list', usage: 'Set driver specific options', typeName: 'map', defaultText: 'map[]' },
  ],
  run: async (ctx) => {
    let name = ctx.flags.name as string;
    if (ctx.args.length) {
      if (ctx.changed.has('name')) throw new StatusError('conflicting options: cannot specify a volume-name through both --name and as a positional arg', 1);
      name = ctx.args[0]!;
    }
    for (const l of ctx.flags.label as string[]) {
      if (l.split('=')[0]!.trim() === '') throw new StatusError(`invalid argument "${l}" for "--label" flag: invalid label '${l}': empty name`, 125);
    }
    const api = await ctx.api();
    const v = await api.json<{ Name: string }>('POST', '/volumes/create', {
      // The docker CLI leaves out empty maps (omitempty).
      json: {
        Driver: ctx.flags.driver as string, Name: name,
        ...((ctx.flags.opt as string[]).length ? { DriverOpts: keyValueMap(ctx.flags.opt as string[]) } : {}),
        ...((ctx.flags.label as string[]).length ? { Labels: keyValueMap(ctx.flags.label as string[]) } : {}),
      },
    });
    await ctx.out(`${v.Name}\n`);
  },
});
