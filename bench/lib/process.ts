// Small helpers for driving real programs from a benchmark: free ports, timed runs, waiting for services.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Whether `cmd` is an executable file in one of PATH's directories (a contender that is not installed is skipped). */
export async function onPath(cmd: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try { await access(join(dir, cmd)); return true; } catch { /* next */ }
  }
  return false;
}

/** A port the kernel says is free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RunResult { code: number | null; stdout: string; stderr: string; seconds: number }

/** Runs a command to its end, timing it from spawn to exit; rejects unless it exits 0. */
export function runTimed(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout = (stdout + d).slice(-64 * 1024); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-64 * 1024); });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const result = { code, stdout, stderr, seconds };
      if (code === 0) resolve(result);
      else {
        const why = signal ? `was killed by ${signal}` : `exited ${code}`;
        reject(new Error(`${cmd} ${args.join(' ')} ${why}: ${(stderr || stdout).trim().split('\n').slice(-3).join(' | ')}`));
      }
    });
  });
}

export async function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return (await runTimed(cmd, args, opts)).stdout;
}

/** A tool's version as `--version` prints it: the first word starting with a digit ("Docker version 20.10.24+dfsg1, build ..."); `?` when it cannot tell. */
export async function toolVersion(cmd: string, args = ['--version']): Promise<string> {
  return /\s(v?\d[^\s,]*)/.exec((await run(cmd, args).catch(() => '')).split('\n')[0]!)?.[1] ?? '?';
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what}: the process exited with ${child.exitCode} before it was ready`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready after ${timeoutMs / 1000}s`);
}

/** GET over a unix socket or TCP; resolves with the status code. */
export function httpStatus(target: { socketPath: string } | { host: string; port: number }, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path, method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}

/** Sends SIGTERM to a process this benchmark started, then SIGKILL if it has not gone within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
