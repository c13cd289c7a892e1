// What `docker version` shows under Server as "Built": when the running file was built (its
// "Git commit" is ../build-info.ts's, shared with the CLI).
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
