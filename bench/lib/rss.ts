// Resident memory of a process as the kernel counts it.
import { readFile } from 'node:fs/promises';

export interface Rss {
  /** VmRSS, bytes. */
  rss: number;
  /** Anonymous pages (heaps, stacks): the process's own memory. */
  anon: number;
  /** File-backed pages (the executable and libraries as far as touched): shared with other processes of the same binary. */
  file: number;
}

/** The resident set of `pid`, or undefined when the process is gone. */
export async function rssOf(pid: number): Promise<Rss | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  if (!status) return undefined;
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const r = { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
  return Number.isNaN(r.rss) ? undefined : r;
}

/** VmRSS of `pid` in bytes, or undefined when the process is gone. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  return (await rssOf(pid))?.rss;
}

export function addRss(a: Rss, b: Rss): Rss {
  return { rss: a.rss + b.rss, anon: a.anon + b.anon, file: a.file + b.file };
}
