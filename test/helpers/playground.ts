// `berth playground` run from the sources as a child process, for the tests that serve the built
// playground the way users do.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './registry.ts';

export const CLI_MAIN = join(REPO_ROOT, 'host-linux/cli/main.ts');

export interface RunningPlayground {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function spawnPlayground(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'playground', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `berth playground ARGS` to its exit; resolves with the exit code and output. */
export function playgroundOnce(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnPlayground(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Starts `berth playground --port 0 ARGS` and resolves once it printed its URL. */
export function startPlayground(args: string[]): Promise<RunningPlayground> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnPlayground(['--port', '0', ...args]);
    let out = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const stop = async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited; } };
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /berth playground: (http:\/\/\S+?)\/?\n/.exec(out);
      if (m) resolvePromise({ url: m[1]!, child, stop });
    });
    child.stderr!.on('data', (d) => { out += d; });
    child.once('exit', (code) => reject(new Error(`berth playground exited with ${code}: ${out}`)));
  });
}
