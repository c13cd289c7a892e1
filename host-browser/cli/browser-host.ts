// The CliHost of one command run in the playground: stdio on the terminal, the engine in the Web
// Worker as the daemon, files in memory, and the process's kill switch wired into every request
// so ctrl-c ends the command's streams as closing its sockets would.
import type { Fetch } from '../../core/host.ts';
import { DEFAULT_HOST } from '../../core/cli/cli.ts';
import type { BuildInfo, CliFiles, CliHost, Hijack, HijackedConnection } from '../../core/cli/host.ts';
import type { CliProcess } from './cli-process.ts';

/** The in-browser engine as the CLI reaches it (what host-browser/worker/client.ts connectEngine returns). */
export interface EngineLink {
  fetch: Fetch;
  hijack: Hijack;
}

export interface BrowserHostOptions {
  process: CliProcess;
  engine: EngineLink;
  files: CliFiles;
  env: Record<string, string | undefined>;
  homeDir: string;
  build: BuildInfo;
}

function checkAddress(address: string): void {
  if (address !== DEFAULT_HOST) {
    throw new Error(`the playground reaches only its in-browser engine (${DEFAULT_HOST}), not ${address}`);
  }
}

/** A body that ends (cancelled at its source) when `signal` aborts. */
function abortableBody(body: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const onAbort = () => { reader.cancel(signal.reason).catch(() => {}); };
  signal.addEventListener('abort', onAbort, { once: true });
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (signal.aborted) { c.error(signal.reason); return; }
      const { done, value } = await reader.read();
      if (done) { signal.removeEventListener('abort', onAbort); c.close(); } else c.enqueue(value);
    },
    cancel(reason) {
      signal.removeEventListener('abort', onAbort);
      return reader.cancel(reason);
    },
  });
}

function abortableFetch(fetch: Fetch, signal: AbortSignal): Fetch {
  return async (input, init) => {
    signal.throwIfAborted();
    const res = await fetch(input, { ...init, signal });
    if (!res.body) return res;
    return new Response(abortableBody(res.body, signal), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

function abortableHijack(hijack: Hijack, signal: AbortSignal): Hijack {
  return async (url, init) => {
    signal.throwIfAborted();
    const result = await hijack(url, init);
    const conn = result.connection;
    if (!conn) return result;
    const close = () => conn.close();
    signal.addEventListener('abort', close, { once: true });
    const wrapped: HijackedConnection = {
      output: abortableBody(conn.output, signal),
      write: (d) => conn.write(d),
      closeWrite: () => conn.closeWrite(),
      close: () => { signal.removeEventListener('abort', close); conn.close(); },
    };
    return { response: result.response, connection: wrapped };
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
    daemonFetch(address) {
      checkAddress(address);
      return abortableFetch(opts.engine.fetch, proc.signal);
    },
    daemonHijack(address) {
      checkAddress(address);
      return abortableHijack(opts.engine.hijack, proc.signal);
    },
    files: opts.files,
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
