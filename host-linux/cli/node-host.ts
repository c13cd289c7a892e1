// The CliHost for Node: process stdio (with backpressure), prompts on the terminal, files for
// -o/-i and config.json, the daemon fetch over unix sockets or TCP, and host-only commands.
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { Fetch } from '../../core/host.ts';
import type { CliFiles, CliHost, InStream, OutStream } from '../../core/cli/host.ts';
import { daemonFetch, daemonHijack } from '../http/unix-fetch.ts';
import { nodeArchive } from './archive.ts';
import { nodeLocalTree } from './local-tree.ts';
import { nodeTerminal, onSignal } from './terminal.ts';
import { registryCommand } from './registry-command.ts';
import { playgroundCommand } from './playground-command.ts';
import { checkoutCommit } from '../build-info.ts';

function outStream(s: NodeJS.WriteStream): OutStream {
  return {
    isTTY: !!s.isTTY,
    write: (data) => new Promise<void>((resolve) => {
      // EPIPE (a closed pipe, e.g. `| head`) ends output quietly, as docker does.
      if (s.destroyed || s.writableEnded) { resolve(); return; }
      s.write(data, () => resolve());
    }),
  };
}

/** A line reader over stdin that leaves unread bytes for later reads (prompts, then a stream). */
function inStream(): InStream & { consumed: boolean } {
  const stdin = process.stdin;
  let pending = Buffer.alloc(0);
  let ended = false;
  const state = { consumed: false };
  const readLine = (): Promise<string | undefined> => new Promise((resolve) => {
    const tryLine = () => {
      const nl = pending.indexOf(0x0a);
      if (nl >= 0) {
        const line = pending.subarray(0, nl).toString('utf8').replace(/\r$/, '');
        pending = pending.subarray(nl + 1);
        cleanup();
        resolve(line);
        return true;
      }
      if (ended) {
        cleanup();
        const last = pending.length ? pending.toString('utf8') : undefined;
        pending = Buffer.alloc(0);
        resolve(last);
        return true;
      }
      return false;
    };
    const onData = (d: Buffer) => { pending = Buffer.concat([pending, d]); tryLine(); };
    const onEnd = () => { ended = true; tryLine(); };
    const cleanup = () => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    };
    if (tryLine()) return;
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  });
  return {
    get isTTY() { return !!stdin.isTTY; },
    get consumed() { return state.consumed; },
    stream() {
      state.consumed = true;
      const rest = pending;
      pending = Buffer.alloc(0);
      const web = Readable.toWeb(stdin) as unknown as ReadableStream<Uint8Array>;
      if (!rest.length) return web;
      const reader = web.getReader();
      let first = true;
      return new ReadableStream<Uint8Array>({
        async pull(c) {
          if (first) { first = false; c.enqueue(new Uint8Array(rest)); return; }
          const { done, value } = await reader.read();
          if (done) c.close(); else c.enqueue(value);
        },
        cancel(r) { return reader.cancel(r); },
      });
    },
    readLine,
    async readSecret() {
      if (!stdin.isTTY) return readLine();
      stdin.setRawMode(true);
      try {
        return await new Promise<string | undefined>((resolve) => {
          let s = '';
          const onData = (d: Buffer) => {
            for (const ch of d.toString('utf8')) {
              if (ch === '\r' || ch === '\n') { done(s); return; }
              if (ch === '\u0003' || ch === '\u0004') { done(undefined); return; }
              if (ch === '\u007f' || ch === '\b') s = s.slice(0, -1);
              else s += ch;
            }
          };
          const done = (v: string | undefined) => { stdin.off('data', onData); stdin.pause(); resolve(v); };
          stdin.on('data', onData);
          stdin.resume();
        });
      } finally {
        stdin.setRawMode(false);
      }
    },
  };
}

function fsMessage(op: string, path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied'
    : code === 'EISDIR' ? 'is a directory' : code === 'ENOTDIR' ? 'not a directory' : (e as Error).message;
  return new Error(`${op} ${path}: ${why}`);
}

export const nodeFiles: CliFiles = {
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fsMessage('open', path, e);
    }
  },
  async writeText(path, text, mode) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, text, { mode: mode ?? 0o644 });
  },
  async openRead(path) {
    // Open first so a missing file fails here, with docker's wording, not mid-request.
    await new Promise<void>((resolve, reject) => {
      const s = createReadStream(path);
      s.once('open', () => { s.destroy(); resolve(); });
      s.once('error', (e) => reject(fsMessage('open', path, e)));
    });
    return Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
  },
  async writeStream(path, data) {
    const dir = dirname(resolve(path));
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    } catch (e) {
      await data.cancel().catch(() => {});
      throw new Error(`invalid output path: ${fsMessage('stat', dir, e).message}`);
    }
    const tmp = join(dir, `.${process.pid}.berth-save.tmp`);
    try {
      await pipeline(Readable.fromWeb(data as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(tmp) as Writable);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  },
};

/** The commit this CLI was built from. */
function buildCommit(): string {
  return checkoutCommit() || 'unknown';
}

/** When this file was built (the bundle's mtime), in Go's ANSIC layout as docker shows it. */
function buildTime(): string | undefined {
  try {
    const d = statSync(fileURLToPath(import.meta.url)).mtime;
    const s = d.toUTCString(); // "Thu, 07 May 2026 21:09:36 GMT"
    const m = /^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/.exec(s);
    return m ? `${m[1]} ${m[3]} ${String(Number(m[2])).padStart(2, ' ')} ${m[5]} ${m[4]}` : undefined;
  } catch {
    return undefined;
  }
}

export interface NodeCliHost extends CliHost {
  /** Resolves when stdout and stderr have flushed. */
  flush(): Promise<void>;
  /** True when a command left a server running (registry serve): do not exit. */
  keepAlive(): boolean;
}

export function nodeCliHost(): NodeCliHost {
  const fetches = new Map<string, Fetch>();
  let serving = false;
  const stdout = outStream(process.stdout);
  const stderr = outStream(process.stderr);
  // EPIPE on stdout (`berth images | head -1`) is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); });
  return {
    stdout,
    stderr,
    stdin: inStream(),
    env: process.env,
    daemonFetch(address) {
      let f = fetches.get(address);
      if (!f) { f = daemonFetch(address); fetches.set(address, f); }
      return f;
    },
    daemonHijack: (address) => daemonHijack(address),
    terminal: nodeTerminal(),
    archive: nodeArchive,
    localTree: nodeLocalTree,
    onSignal,
    files: nodeFiles,
    homeDir: homedir(),
    terminalWidth() {
      if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
      if (process.stdin.isTTY) return (process.stdin as unknown as { columns?: number }).columns;
      return undefined;
    },
    build: {
      version: '0.1.0',
      commit: buildCommit(),
      os: process.platform,
      arch: process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch,
      runtime: `node ${process.version}`,
      built: buildTime(),
    },
    extraCommands: [registryCommand(() => { serving = true; }), playgroundCommand(() => { serving = true; })],
    flush: () => Promise.all([stdout.write(''), stderr.write('')]).then(() => {}),
    keepAlive: () => serving,
  };
}
