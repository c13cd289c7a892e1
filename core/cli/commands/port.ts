// `berth port CONTAINER [PRIVATE_PORT[/PROTO]]`: the published ports from the container's
// NetworkSettings.Ports, in docker's natural sort order.
import { joinHostPort } from '../../network/host-ports.ts';
import { portNumberError } from '../../network/port-filters.ts';
import { StatusError, type Command } from '../command.ts';
import { inspectContainer } from '../container-run.ts';
import { naturalLess } from '../natural-order.ts';

export const portCmd = (): Command => ({
  name: 'port',
  use: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  short: 'List port mappings or a specific mapping for the container',
  aliasesHelp: 'berth container port, berth port',
  args: { min: 1, max: 2 },
  run: async (ctx) => {
    const [container, want] = ctx.args as [string, string | undefined];
    const api = await ctx.api();
    const c = await inspectContainer(api, container);
    const ports = c.NetworkSettings?.Ports ?? {};
    const out: string[] = [];
    if (want !== undefined) {
      const slash = want.indexOf('/');
      const port = slash < 0 ? want : want.slice(0, slash);
      const proto = slash < 0 ? 'tcp' : want.slice(slash + 1);
      const why = portNumberError(port);
      if (why) throw new StatusError(`Error: invalid port (${port}): ${why}`, 1);
      const frontends = ports[`${port}/${proto || 'tcp'}`];
      if (!frontends?.length) throw new StatusError(`Error: No public port '${want}' published for ${container}`, 1);
      for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
    } else {
      for (const [from, frontends] of Object.entries(ports)) {
        for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
      }
    }
    if (out.length) await ctx.out(`${out.sort(naturalLess).join('\n')}\n`);
  },
});
