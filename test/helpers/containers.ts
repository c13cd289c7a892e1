// Helpers for container tests: a berthd that runs containers with the built berth-shim, and probes
// for what a container could leave behind on the host.
import { existsSync, mkdtempSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './registry.ts';
import { startBerthd, type StartOptions, type TestDaemon } from './berthd.ts';

export const SHIM = join(REPO_ROOT, 'host-linux/runtime/build/berth-shim');

/** Why container tests cannot run here, or false (use as `{ skip: containersMissing() }`). */
export function containersMissing(): string | false {
  if (process.getuid?.() !== 0) return 'containers need root';
  if (!existsSync(SHIM)) return `${SHIM} is not built (scripts/build-runtime.sh)`;
  return false;
}

/**
 * A berthd with the built-in images and a shim. Its exec root is short (`/run/bt-XXXXXX`): unix
 * socket paths end at 107 bytes, and `<exec-root>/containers/<64 hex>/attach.sock` must fit.
 */
export async function startContainerDaemon(opts: StartOptions & { execRoot?: string; keepExecRoot?: boolean } = {}): Promise<TestDaemon & { shortExecRoot: string }> {
  const execRoot = opts.execRoot ?? mkdtempSync('/run/bt-');
  const d = await startBerthd({
    builtinImages: join(REPO_ROOT, 'build/images'),
    ...opts,
    args: ['--exec-root', execRoot, ...(opts.args ?? [])],
    env: { BERTH_SHIM: SHIM, ...opts.env },
  });
  const cleanup = d.cleanup;
  return Object.assign(d, {
    shortExecRoot: execRoot,
    execRoot,
    cleanup: async () => { await cleanup(); if (!opts.keepExecRoot) rmSync(execRoot, { recursive: true, force: true }); },
  });
}

/** Overlay mounts, cgroups, shims and zombies that belong to a daemon's roots: what a leak test counts. */
export function hostTraces(roots: string[]): { mounts: string[]; shims: number[]; zombies: number[] } {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4] ?? '').filter((m) => roots.some((r) => m.startsWith(r)));
  const shims: number[] = [];
  const zombies: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (/berth-shim/.test(cmd) && roots.some((r) => cmd.includes(r))) shims.push(Number(p));
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state === 'Z') zombies.push(Number(p));
    } catch { /* gone */ }
  }
  return { mounts, shims, zombies };
}

/** The parent PID of a process (from /proc/<pid>/stat), 0 when it is gone. */
export function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch { return 0; }
}

export async function waitUntil(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
