// What `docker version` shows under Server as "Git commit" and "Built": the commit of the checkout
// the daemon runs from (or the one the bundler injected) and when the running file was built.
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkoutCommit } from '../build-info.ts';

/** The short commit of the checkout or bundle; '' when unknown. */
export function daemonGitCommit(): string {
  return checkoutCommit();
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
