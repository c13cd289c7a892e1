// The CliHost of one command run in the playground: stdio on the terminal, the engine in the Web
// Worker as the daemon, files in memory, and the process's kill switch wired into every request
// so ctrl-c ends the command's streams as closing its sockets would.
import type { Fetch } from '../../core/host.ts';
import type { BuildInfo, CliFiles, CliHost, Hijack } from '../../core/cli/host.ts';
import type { LocalTree } from '../../core/cli/build/local-tree.ts';
import { ENGINE_HOST, type EngineConnection } from '../worker/client.ts';
import type { CliProcess } from './cli-process.ts';

export interface BrowserHostOptions {
  process: CliProcess;
  engine: EngineConnection;
  files: CliFiles;
  env: Record<string, string | undefined>;
  homeDir: string;
  build: BuildInfo;
  /** The files `berth build` reads its context from. */
  localTree?: LocalTree;
}

function checkAddress(address: string): void {
  if (address !== ENGINE_HOST) {
    throw new Error(`the playground reaches only its in-browser engine (${ENGINE_HOST}), not ${address}`);
  }
}

function abortableFetch(fetch: Fetch, signal: AbortSignal): Fetch {
  // The engine's client stops a response's body when the request's signal aborts.
  return (input, init) => {
    signal.throwIfAborted();
    return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  };
}

function abortableHijack(hijack: Hijack, signal: AbortSignal): Hijack {
  return async (url, init) => {
    signal.throwIfAborted();
    const result = await hijack(url, init);
    const conn = result.connection;
    if (conn) {
      if (signal.aborted) conn.close();
      else signal.addEventListener('abort', () => conn.close(), { once: true });
    }
    return result;
  };
}

export function browserCliHost(opts: BrowserHostOptions): CliHost {
  const { process: proc } = opts;
  const tty = proc.tty;
  const out = { isTTY: true, write: (d: string | Uint8Array) => proc.write(d) };
  return {
    stdout: out,
    stderr: out,
    stdin: proc.stdin,
    env: opts.env,
    defaultDaemonHost: ENGINE_HOST,
    daemonFetch(address) {
      checkAddress(address);
      return abortableFetch(opts.engine.fetch, proc.signal);
    },
    daemonHijack(address) {
      checkAddress(address);
      return abortableHijack(opts.engine.hijack, proc.signal);
    },
    files: opts.files,
    ...(opts.localTree ? { localTree: opts.localTree } : {}),
    homeDir: opts.homeDir,
    terminalWidth: () => tty.size().width,
    build: opts.build,
    terminal: {
      setRawMode: (on) => tty.setRawMode(on),
      size: () => tty.size(),
      onResize: (cb) => tty.onResize(cb),
    },
    onSignal: (cb) => proc.onSignal(cb),
  };
}
