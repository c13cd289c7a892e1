// Standalone entry for the registry server, for tests and for running it without the CLI:
//   node --import tsx host-linux/registry/main.ts --addr 127.0.0.1:5000 --root DIR
//        [--htpasswd FILE [--auth basic|bearer] [--anonymous-pull]]
// Prints `listening on <url>` once it accepts connections; stops on SIGINT/SIGTERM.
import { serveRegistry } from './serve.ts';

function usage(message: string): never {
  process.stderr.write(`registry: ${message}\nusage: main.ts --addr HOST:PORT --root DIR [--htpasswd FILE [--auth basic|bearer] [--anonymous-pull]]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const flags: Record<string, string | true> = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
  const eq = a.indexOf('=');
  if (eq > 0) { flags[a.slice(2, eq)] = a.slice(eq + 1); continue; }
  const name = a.slice(2);
  if (name === 'anonymous-pull') { flags[name] = true; continue; }
  const v = args[++i];
  if (v === undefined) usage(`${a} needs a value`);
  flags[name] = v;
}
for (const k of Object.keys(flags)) if (!['addr', 'root', 'htpasswd', 'auth', 'anonymous-pull'].includes(k)) usage(`unknown flag --${k}`);
const addr = typeof flags.addr === 'string' ? flags.addr : '127.0.0.1:5000';
if (typeof flags.root !== 'string') usage('--root DIR is required');
const scheme = flags.auth ?? 'basic';
if (scheme !== 'basic' && scheme !== 'bearer') usage('--auth is basic or bearer');

try {
  const served = await serveRegistry({
    addr, root: flags.root,
    ...(typeof flags.htpasswd === 'string' ? { auth: { htpasswdFile: flags.htpasswd, scheme, anonymousPull: flags['anonymous-pull'] === true } } : {}),
  });
  process.stdout.write(`listening on ${served.url}\n`);
  const stop = () => { served.close().then(() => process.exit(0), () => process.exit(1)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  process.stderr.write(`registry: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
