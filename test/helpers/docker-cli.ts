// Runs a client CLI (the real docker CLI, or berth's) against a daemon socket, with its own empty
// config dir so the host's credentials and contexts never leak in.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DOCKER_CLI = process.env.BERTH_TEST_DOCKER ?? '/usr/local/bin/docker';

export interface RunResult { code: number; stdout: string; stderr: string }

export interface RunOptions {
  input?: string | Uint8Array;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** DOCKER_CONFIG directory; a fresh empty one per process when not given. */
  configDir?: string;
}

let sharedConfig: string | undefined;

export function runCommand(cmd: string, args: string[], opts: RunOptions & { env: Record<string, string> }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** `docker ARGS` with DOCKER_HOST set to `host` (`unix:///path`). */
export function docker(host: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  sharedConfig ??= mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    DOCKER_HOST: host,
    DOCKER_CONFIG: opts.configDir ?? sharedConfig,
    DOCKER_CLI_HINTS: 'false',
    ...opts.env,
  };
  return runCommand(DOCKER_CLI, args, { ...opts, env });
}
