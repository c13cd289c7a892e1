// Resident memory of a process as the kernel counts it.
import { readFile } from 'node:fs/promises';

/** VmRSS of `pid` in bytes, or undefined when the process is gone. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kb = status && /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : undefined;
}
