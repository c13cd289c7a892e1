// core's CLI over an engine connection with its output captured as text: how tests (in Node and in
// a test page) and scripts run `berth ...` against the in-browser engine. The playground's terminal
// has its own CliHost (stdin, a TTY, resize); this one has no terminal and no local files.
import { runCli } from '../../core/cli/cli.ts';
import type { CliHost, OutStream } from '../../core/cli/host.ts';
import { ENGINE_HOST, type EngineConnection } from './client.ts';

export interface CliRun { exitCode: number; stdout: string; stderr: string }

export interface CapturedCliOptions {
  /** Called with each piece of stdout as it is written (to watch streaming commands live). */
  onStdout?: (text: string) => void;
  env?: Record<string, string>;
}

/** Runs one `berth` invocation (argv without `berth`) against the engine. */
export async function runCaptured(conn: EngineConnection, argv: string[], opts: CapturedCliOptions = {}): Promise<CliRun> {
  const dec = new TextDecoder();
  let stdout = '';
  let stderr = '';
  const out = (sink: (s: string) => void): OutStream => ({
    isTTY: false,
    write: async (d) => { sink(typeof d === 'string' ? d : dec.decode(d)); },
  });
  const host: CliHost = {
    stdout: out((s) => { stdout += s; opts.onStdout?.(s); }),
    stderr: out((s) => { stderr += s; }),
    stdin: {
      isTTY: false,
      stream: () => new ReadableStream({ start(c) { c.close(); } }),
      readLine: async () => undefined,
    },
    env: { ...opts.env },
    defaultDaemonHost: ENGINE_HOST,
    daemonFetch: () => conn.fetch,
    daemonHijack: () => conn.hijack,
    files: {
      readText: async () => undefined,
      writeText: async () => { throw new Error('this berth host has no local files'); },
      openRead: async (path) => { throw new Error(`open ${path}: this berth host has no local files`); },
      writeStream: async (path) => { throw new Error(`open ${path}: this berth host has no local files`); },
    },
    homeDir: '/home/berth',
    terminalWidth: () => undefined,
    build: { version: '0.1.0', commit: 'browser', os: 'linux', arch: '386', runtime: 'browser worker' },
  };
  const exitCode = await runCli(argv, host);
  return { exitCode, stdout, stderr };
}
