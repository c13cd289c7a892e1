// The berth CLI on Node: stdio, environment, terminal, files and the daemon socket handed to the
// isomorphic CLI in core/cli; exits with the code it returns.
import { runCli } from '../../core/cli/cli.ts';
import { nodeCliHost } from './node-host.ts';

const host = nodeCliHost();
let code: number;
try {
  code = await runCli(process.argv.slice(2), host);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  code = 1;
}
// Streams to a terminal may still be flushing; exit once they have drained.
await host.flush();
if (!host.keepAlive()) process.exit(code);
else process.exitCode = code;
