// Walking, emptying and removing a cgroup directory tree; shared by both versions.
import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../core/errors.ts';
import { readProcs } from './files.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `dir` and every cgroup below it, deepest first (the order rmdir needs). */
export function cgroupDirs(dir: string): string[] {
  let children: string[];
  try {
    children = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return [...children.flatMap(cgroupDirs), dir];
}

/** The pids of every process in `dir` and below. */
export function treeProcs(dir: string): number[] {
  return cgroupDirs(dir).flatMap((d) => { try { return readProcs(d); } catch { return []; } });
}

export function signalAll(pids: number[], signal: number): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}

/** Waits until no process is left in `dir`; an exited process leaves its cgroup at once, even unreaped. */
export async function waitEmpty(dir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    if (treeProcs(dir).length === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(i < 20 ? 2 : 20);
  }
}

/**
 * Removes `dir` and its child cgroups. The kernel answers EBUSY for a short while after the last
 * process left (its css is still being torn down), so that is retried briefly.
 */
export async function removeTree(dir: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const d of cgroupDirs(dir)) {
    for (let i = 0; ; i++) {
      try {
        rmdirSync(d);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || Date.now() > deadline) {
          const left = treeProcs(d);
          throw new BerthError('internal', `cannot remove the cgroup ${d}: ${(e as Error).message}${left.length ? ` (processes still in it: ${left.join(' ')})` : ''}`, { cause: e });
        }
        await sleep(i < 10 ? 2 : 20);
      }
    }
  }
}

/** `/berth/<id>` -> ['berth', '<id>'], refusing anything that could leave the hierarchy. */
export function relParts(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === '.' || p === '..')) {
    throw new BerthError('invalid_argument', `invalid cgroup path ${JSON.stringify(path)}: it must name a cgroup below the root, e.g. /berth/<id>`);
  }
  return parts;
}
