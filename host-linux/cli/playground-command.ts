// `berth playground`: serves the browser playground (build/playground, made by the set-up) on a
// local address and prints its URL; runs in the foreground like `registry serve`.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StatusError, type Command } from '../../core/cli/command.ts';

export const DEFAULT_PLAYGROUND_PORT = 8086;

/** build/playground next to the bundle (dist/berth.mjs) or the sources (host-linux/cli/). */
function defaultRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = ['../build/playground', '../../build/playground'].map((rel) => resolve(here, rel));
  return candidates.find((p) => existsSync(join(p, 'index.html'))) ?? candidates[0]!;
}

export function playgroundCommand(onServing: () => void): Command {
  return {
    name: 'playground',
    use: '[OPTIONS]',
    short: 'Serve the browser playground (containers in a web page) on a local port',
    args: { max: 0 },
    flags: [
      { name: 'port', short: 'p', kind: 'string', usage: 'Port to listen on (0 picks a free one)', default: String(DEFAULT_PLAYGROUND_PORT) },
      { name: 'host', kind: 'string', usage: 'Address to listen on', default: '127.0.0.1' },
      { name: 'root', kind: 'string', usage: 'Directory of the built playground (default: build/playground of this berth)' },
    ],
    run: async (ctx) => {
      const portText = ctx.flags.port as string;
      const port = Number(portText);
      if (!/^\d+$/.test(portText) || port > 65535) throw new StatusError(`invalid --port ${JSON.stringify(portText)}: a port number from 0 to 65535`, 125);
      const host = (ctx.flags.host as string).replace(/^\[|\]$/g, '');
      if (!host) throw new StatusError('invalid --host "": an address such as 127.0.0.1', 125);
      const root = resolve((ctx.flags.root as string) || defaultRoot());
      if (!existsSync(join(root, 'index.html'))) {
        throw new StatusError(`the playground is not built (no ${join(root, 'index.html')}): run ./scripts/setup.sh, or node scripts/build-playground.mjs`, 1);
      }
      const { serve } = await import('../http/serve.ts');
      const { playgroundSite } = await import('./playground-site.ts');
      let served;
      try {
        served = await serve(playgroundSite(root), { address: `${host.includes(':') ? `[${host}]` : host}:${port}` });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const why = err.code === 'EADDRINUSE' ? 'the address is already in use (choose another with --port)'
          : err.code === 'EADDRNOTAVAIL' ? 'no such address on this machine'
          : err.code === 'EACCES' ? 'permission denied' : err.message;
        throw new StatusError(`cannot serve the playground on ${host}:${port}: ${why}`, 1);
      }
      await ctx.out(`berth playground: ${served.url}/\n`);
      onServing();
      const stop = () => { served.close().then(() => process.exit(0), () => process.exit(1)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
  };
}
