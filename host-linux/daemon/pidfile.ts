// The PID file: refuse to start when another live berthd holds it (dockerd's pidfile.New).
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function writePidfile(path: string): Promise<() => Promise<void>> {
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
  await writeFile(path, `${process.pid}`);
  return async () => {
    try {
      if ((await readFile(path, 'utf8')).trim() === `${process.pid}`) await unlink(path);
    } catch { /* already gone */ }
  };
}
