// Talking to berth-shim (DESIGN.md): spawning it and reading its ready line, JSON-line requests on
// ctl.sock, and byte pipes on attach.sock.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ExitStatus, StreamPair } from '../../core/engine/containers/runtime.ts';

export class ShimError extends Error {
  constructor(message: string, readonly gone = false) { super(message); this.name = 'ShimError'; }
}

/**
 * Runs `berth-shim ARGS --foreground --ready-fd 3` in a session of its own and resolves with the pid
 * it reports once the ready line is written. The shim stays berthd's child rather than daemonizing
 * (double fork): an orphaned shim is reaped by PID 1 whenever that gets round to it, and on hosts
 * whose init reaps lazily every finished container left a `[berth-shim] <defunct>` behind for
 * seconds. As a child, libuv reaps it the moment it exits. If berthd dies first the shim is
 * reparented as before and keeps supervising; a restarted berthd reconnects through its sockets.
 * Its stderr goes to `shim.log` in its state directory (a pipe would SIGPIPE it once berthd is gone).
 */
export function spawnShim(shim: string, args: string[]): Promise<{ pid: number }> {
  return new Promise((resolve, reject) => {
    const stateAt = args.indexOf('--state');
    const state = stateAt >= 0 ? args[stateAt + 1] : undefined;
    const logPath = state ? join(state, 'shim.log') : undefined;
    let errFd: number | 'ignore' = 'ignore';
    if (logPath) { try { errFd = openSync(logPath, 'a', 0o600); } catch { errFd = 'ignore'; } }
    let child;
    try {
      child = spawn(shim, [...args, '--foreground', '--ready-fd', '3'], { detached: true, stdio: ['ignore', 'ignore', errFd, 'pipe'] });
    } finally {
      if (typeof errFd === 'number') closeSync(errFd);
    }
    let ready = '';
    (child.stdio[3] as Readable).on('data', (d: Buffer) => { ready += d.toString(); });
    let exited: number | null | undefined;
    let settled = false;
    const stderrText = () => {
      if (!logPath) return '';
      try { return readFileSync(logPath, 'utf8').trim().split('\n').map((l) => l.replace(/^berth-shim: /, '')).pop() ?? ''; } catch { return ''; }
    };
    const finish = () => {
      if (settled) return;
      const line = ready.trim().split('\n')[0] ?? '';
      if (line) {
        try {
          const msg = JSON.parse(line) as { pid?: number; error?: string };
          settled = true;
          if (msg.error) return reject(new ShimError(msg.error));
          if (typeof msg.pid === 'number') return resolve({ pid: msg.pid });
        } catch { /* fall through */ }
      }
      if (exited === undefined) return;
      settled = true;
      reject(new ShimError(stderrText() || `berth-shim exited with ${exited} before it was ready`));
    };
    (child.stdio[3] as Readable).once('close', finish);
    child.once('error', (e) => { settled = true; reject(new ShimError(`cannot run ${shim}: ${e.message}`)); });
    // An exit before the ready line is a failure; the exit status of a finished shim needs no handling
    // (exit.json has the process's), the listener only keeps libuv reaping it.
    child.once('exit', (code) => { exited = code; finish(); });
    child.unref();
  });
}

/** sun_path holds 108 bytes with its NUL; deep data roots (or long IDs) make longer socket paths. */
const SUN_PATH_MAX = 107;

/**
 * Connects to a unix socket whatever the length of its path: a longer path is reached through the
 * directory's fd (`/proc/self/fd/N/name`), the way the shim binds relative to its state dir. Node
 * gives no error for an over-long path: the connection just never completes.
 */
function connectUnix(sock: string, allowHalfOpen = false): net.Socket {
  if (Buffer.byteLength(sock) <= SUN_PATH_MAX) return net.createConnection({ path: sock, allowHalfOpen });
  const dirFd = openSync(dirname(sock), 'r');
  const s = net.createConnection({ path: `/proc/self/fd/${dirFd}/${basename(sock)}`, allowHalfOpen });
  const release = () => { try { closeSync(dirFd); } catch { /* closed */ } };
  s.once('connect', release);
  s.once('error', release);
  return s;
}

/** One request on ctl.sock, one line back. */
export function ctlRequest(sock: string, req: Record<string, unknown>, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = connectUnix(sock);
    let buf = '';
    let done = false;
    const timer = timeoutMs > 0 ? setTimeout(() => fail(new ShimError(`berth-shim did not answer ${String(req.op)} within ${timeoutMs} ms`)), timeoutMs) : undefined;
    const fail = (e: Error) => { if (done) return; done = true; if (timer) clearTimeout(timer); s.destroy(); reject(e); };
    s.setEncoding('utf8');
    s.on('connect', () => s.write(JSON.stringify(req) + '\n'));
    s.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      done = true;
      if (timer) clearTimeout(timer);
      s.end();
      try { resolve(JSON.parse(buf.slice(0, i)) as Record<string, unknown>); } catch {
        reject(new ShimError(`berth-shim answered ${String(req.op)} with ${JSON.stringify(buf.slice(0, i))}`));
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => fail(new ShimError(`berth-shim is not answering on ${sock}: ${e.message}`, e.code === 'ENOENT' || e.code === 'ECONNREFUSED')));
    s.on('close', () => fail(new ShimError(`berth-shim closed ${sock} without answering ${String(req.op)}`, true)));
  });
}

/** A request that must succeed (`{"ok":true}`). */
export async function ctl(sock: string, req: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>> {
  const r = await ctlRequest(sock, req, timeoutMs);
  if (r.ok !== true) throw new ShimError(typeof r.error === 'string' ? r.error : `berth-shim refused ${String(req.op)}`);
  return r;
}

export function exitStatusOf(r: Record<string, unknown>): ExitStatus {
  return {
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : 255,
    signal: typeof r.signal === 'number' ? r.signal : null,
    oomKilled: r.oomKilled === true,
    ...(typeof r.startedAt === 'string' ? { startedAt: r.startedAt } : {}),
    finishedAt: typeof r.finishedAt === 'string' ? r.finishedAt : new Date().toISOString(),
    ...(typeof r.error === 'string' && r.error ? { error: r.error } : {}),
  };
}

export async function readExitJson(path: string): Promise<ExitStatus | undefined> {
  try { return exitStatusOf(JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>); } catch { return undefined; }
}

/** A connection to attach.sock as web streams; closing `writable` half-closes (stdin EOF). */
export function connectAttach(sock: string): Promise<StreamPair> {
  return new Promise((resolve, reject) => {
    const s = connectUnix(sock, true);
    s.once('error', (e) => reject(new ShimError(`cannot attach through ${sock}: ${e.message}`)));
    s.once('connect', () => {
      s.removeAllListeners('error');
      s.on('error', () => {});
      let closed = false;
      const readable = new ReadableStream<Uint8Array>({
        start(controller) {
          s.on('data', (d: Buffer) => {
            if (closed) return;
            controller.enqueue(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
            if ((controller.desiredSize ?? 1) <= 0) s.pause();
          });
          const end = () => { if (!closed) { closed = true; try { controller.close(); } catch { /* cancelled */ } } };
          s.once('end', end);
          s.once('close', end);
        },
        pull() { s.resume(); },
        cancel() { closed = true; s.destroy(); },
      }, { highWaterMark: 8 });
      const writable = new WritableStream<Uint8Array>({
        write(chunk) {
          if (s.destroyed || s.writableEnded) return;
          if (s.write(chunk)) return;
          return new Promise<void>((r) => { s.once('drain', r); s.once('close', r); });
        },
        close() { if (!s.destroyed) s.end(); },
        abort() { if (!s.destroyed && !s.writableEnded) s.end(); },
      });
      resolve({ readable, writable });
    });
  });
}

export function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}
