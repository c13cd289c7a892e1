// Reading and writing cgroup interface files. Writes are single write(2) calls, as the kernel
// parses each write as one value; errors name the file and the value, because "EINVAL" alone
// never tells which limit the kernel refused.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../core/errors.ts';

export function writeCgroupFile(dir: string, file: string, value: string | number): void {
  const path = join(dir, file);
  try {
    writeFileSync(path, String(value));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' && !existsSync(dir) ? `the cgroup ${dir} does not exist` : err.message;
    throw new BerthError('internal', `cannot write ${JSON.stringify(String(value))} to ${path}: ${why}`, { cause: e });
  }
}

/** The file's text, or undefined when the file does not exist (a controller this kernel lacks). */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function hasCgroupFile(dir: string, file: string): boolean {
  return existsSync(join(dir, file));
}

/** A single number (`max` and absent files are undefined). */
export function readNumber(dir: string, file: string): number | undefined {
  const text = readCgroupFile(dir, file)?.trim();
  if (text === undefined || text === '' || text === 'max') return undefined;
  const n = Number(text.split(/\s+/)[0]);
  return Number.isFinite(n) ? n : undefined;
}

/** `key value` lines (memory.stat, cpu.stat, memory.events, cgroup.events). */
export function readKeyed(dir: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (readCgroupFile(dir, file) ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** The pids in cgroup.procs. */
export function readProcs(dir: string): number[] {
  return (readCgroupFile(dir, 'cgroup.procs') ?? '').split('\n').filter(Boolean).map(Number);
}
