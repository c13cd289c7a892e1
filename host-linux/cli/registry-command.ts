// `berth registry serve`: runs berth's distribution-spec registry in the foreground (Linux only;
// the browser host has no TCP listener).
import type { Command } from '../../core/cli/command.ts';
import { StatusError } from '../../core/cli/command.ts';

export function registryCommand(onServing: () => void): Command {
  const serve: Command = {
    name: 'serve',
    use: '[OPTIONS]',
    short: 'Run a registry (OCI distribution spec) in the foreground',
    args: { max: 0 },
    flags: [
      { name: 'addr', kind: 'string', usage: 'Address to listen on', default: '127.0.0.1:5000' },
      { name: 'root', kind: 'string', usage: 'Directory for the registry\'s content (required)' },
      { name: 'htpasswd', kind: 'string', usage: 'Require logins from the users of this htpasswd file (bcrypt)' },
      { name: 'auth', kind: 'string', usage: 'Authentication scheme with --htpasswd: "basic" or "bearer"', default: 'basic' },
      { name: 'anonymous-pull', kind: 'bool', usage: 'Allow pulls without login when --htpasswd is set' },
      { name: 'cors-origin', kind: 'list', usage: 'Allow web pages of this origin to use the registry (CORS; "*" for any)' },
    ],
    run: async (ctx) => {
      const root = ctx.flags.root as string;
      if (!root) throw new StatusError('--root is required: the directory to keep the registry\'s content in', 125);
      const scheme = ctx.flags.auth as string;
      if (scheme !== 'basic' && scheme !== 'bearer') throw new StatusError(`invalid --auth ${JSON.stringify(scheme)}: use "basic" or "bearer"`, 125);
      const { serveRegistry } = await import('../registry/serve.ts');
      const htpasswd = ctx.flags.htpasswd as string;
      const served = await serveRegistry({
        addr: ctx.flags.addr as string,
        root,
        corsOrigins: ctx.flags['cors-origin'] as string[],
        ...(htpasswd ? { auth: { htpasswdFile: htpasswd, scheme, anonymousPull: ctx.flags['anonymous-pull'] as boolean } } : {}),
      });
      await ctx.out(`listening on ${served.url}\n`);
      onServing();
      const stop = () => { served.close().then(() => process.exit(0), () => process.exit(1)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
  };
  return { name: 'registry', short: 'Run a container image registry', category: 'management', subcommands: [serve] };
}
