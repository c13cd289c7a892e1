// What `docker version` shows under Server as "Git commit" and "Built": the commit of the checkout
// the daemon runs from (or the one the bundler injected) and when the running file was built.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The short commit: set by the bundler as __BERTH_COMMIT__, else read from the enclosing .git; '' when unknown. */
export function daemonGitCommit(): string {
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

/**
 * When the running file was built (the bundle's mtime), RFC 3339 as dockerd's /version sends it;
 * the docker CLI reformats it for display. '' when unknown.
 */
export function daemonBuildTime(): string {
  try {
    return statSync(fileURLToPath(import.meta.url)).mtime.toISOString();
  } catch {
    return '';
  }
}
