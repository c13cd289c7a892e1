// Extracting a tar over what an earlier entry left: a later entry of the same name replaces it, as
// tar does, without ever following a symlink that is there.
import { lstatSync, rmSync, unlinkSync } from 'node:fs';

/** Removes whatever is at `abs` (a directory with its contents); `removedDir` hears when it was a directory. */
export function removeEntry(abs: string, removedDir?: () => void): void {
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) { unlinkSync(abs); return; }
  rmSync(abs, { recursive: true, force: true });
  removedDir?.();
}

/** Runs `create`; if something is already at `abs` (EEXIST), removes it and runs `create` again. */
export function createReplacing(abs: string, create: () => void, removedDir?: () => void): void {
  try {
    create();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    removeEntry(abs, removedDir);
    create();
  }
}
