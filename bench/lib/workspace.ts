// A benchmark's temporary directory and the clean-ups of what it started there, run in reverse order at the end and
// on Ctrl-C (daemons stopped before their mounts are undone and the directory removed).
import { mkdtemp, rm } from 'node:fs/promises';
import { unmountUnder } from './mounts.ts';

export interface Workspace {
  dir: string;
  /** Registers a clean-up; a failing one is logged and the others still run. */
  defer(cleanUp: () => Promise<void>): void;
  cleanUp(): Promise<void>;
}

export async function workspace(prefix: string, log: (line: string) => void): Promise<Workspace> {
  const dir = await mkdtemp(prefix);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => log(`clean-up: ${(e as Error).message}`));
    cleanups.length = 0;
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => { void cleanUp().then(() => process.exit(130)); });
  return { dir, defer: (c) => { cleanups.push(c); }, cleanUp };
}
