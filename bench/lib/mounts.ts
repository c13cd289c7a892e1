// Mounts a benchmark's daemons leave under its temp dir, removed before the dir is.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Mount points at or below `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Lazy unmounts, so that a busy mount cannot stop the clean-up; a few passes for stacked mounts. */
export async function unmountUnder(dir: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const mounts = await mountsUnder(dir);
    if (!mounts.length) return;
    for (const m of mounts) spawnSync('umount', ['-l', m]);
  }
}
