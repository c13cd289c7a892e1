// The commit a berth binary was built from, for `version` on both sides of the API: injected by
// the bundler as __BERTH_COMMIT__, else read from the checkout the file runs from.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The short commit, or '' when unknown. */
export function checkoutCommit(): string {
  const injected = (globalThis as { __BERTH_COMMIT__?: string }).__BERTH_COMMIT__;
  if (injected) return injected;
  try {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 5 && !existsSync(join(dir, '.git')); i++) dir = dirname(dir);
    const git = join(dir, '.git');
    const head = readFileSync(join(git, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 7);
    const ref = head.slice(5);
    if (existsSync(join(git, ref))) return readFileSync(join(git, ref), 'utf8').trim().slice(0, 7);
    const packed = readFileSync(join(git, 'packed-refs'), 'utf8').split('\n').find((l) => l.endsWith(` ${ref}`));
    return packed ? packed.slice(0, 7) : '';
  } catch {
    return '';
  }
}
