// `berth playground` run from the sources as a child process, for the tests that serve the built
// playground the way users do.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from './registry.ts';
import { waitFor } from './ports.ts';

export const CLI_MAIN = join(REPO_ROOT, 'host-linux/cli/main.ts');

/** Why the playground cannot run Linux containers here (pass it as `{ skip }`), or false. */
export const guestMissing = existsSync(join(REPO_ROOT, 'build/guest/initrd.gz')) ? false : 'the v86 guest is not built (bash host-browser/guest/build.sh)';

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

/** The playground terminal's lines as the page shows them. */
export function terminalLines(page: Page): Promise<string[]> {
  return page.evaluate(() => document.querySelector('berth-playground')!.screenLines());
}

/** Types a command into the playground's terminal and waits for the prompt to come back; returns the lines it printed. */
export async function typeCommand(page: Page, command: string, timeoutMs = 30_000): Promise<string[]> {
  const before = (await terminalLines(page)).length;
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  let lines: string[] = [];
  await waitFor(`"${command}" to finish`, async () => {
    lines = await terminalLines(page);
    const busy = await page.evaluate(() => document.querySelector('berth-playground')!.shell?.busy ?? true);
    return !busy && lines.length > before && lines.at(-1) === '$';
  }, timeoutMs);
  // The prompt the command was typed at was the last line before it ran.
  return lines.slice(before, -1);
}
