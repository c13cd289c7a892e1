// The PID file: refuse to start when another live berthd holds it (dockerd's pidfile.New).
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorText, isStorageFailure } from '../../core/system-error.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `warn`: the file could not be written for lack of space; the daemon starts without it, as it would without /run. */
export async function writePidfile(path: string, warn: (message: string) => void = () => {}): Promise<() => Promise<void>> {
  let old: string | undefined;
  try { old = (await readFile(path, 'utf8')).trim(); } catch { /* none */ }
  if (old) {
    const pid = Number(old);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      // A PID can be reused by an unrelated process after a crash; only a berthd counts.
      let cmd = '';
      try { cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8'); } catch { /* gone */ }
      if (/berthd|daemon\/main/.test(cmd)) {
        throw new Error(`pid file found, ensure berthd is not running or delete ${path}: process with PID ${pid} is still running`);
      }
    }
  }
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, `${process.pid}`);
  } catch (e) {
    if (!isStorageFailure(e)) throw e;
    await unlink(path).catch(() => {});
    warn(`cannot write the pid file ${path}: ${errorText(e)}`);
    return async () => {};
  }
  return async () => {
    try {
      if ((await readFile(path, 'utf8')).trim() === `${process.pid}`) await unlink(path);
    } catch { /* already gone */ }
  };
}
