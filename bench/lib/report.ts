// Statistics, the machine's description, and the BENCHMARKS.md section a benchmark owns.
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `loadAtStart`: the 1-minute load average before the benchmark began, so its own work is not counted. */
export async function machineDescription(loadAtStart: number): Promise<string> {
  const debian = (await readFile('/etc/debian_version', 'utf8').catch(() => '?')).trim();
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ` +
    `Linux ${release()}, Debian ${debian}, Node ${process.version}; load average ${loadAtStart.toFixed(1)} at the start ` +
    '(other work on the machine makes every contender slower and noisier)';
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Replaces the `## title` section of the file (up to the next `## ` heading) with `body`, or appends it; other
 * benchmarks' sections stay as they are.
 */
export async function updateSection(path: string, title: string, body: string): Promise<void> {
  const old = await readFile(path, 'utf8').catch(() => '# Benchmarks\n\nResults of `npm run bench` (see bench/README.md).\n');
  const section = `## ${title}\n\n${body.trim()}\n`;
  const lines = old.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${title}`);
  let next: string;
  if (start < 0) {
    next = `${old.trimEnd()}\n\n${section}`;
  } else {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end < 0) end = lines.length;
    const before = lines.slice(0, start).join('\n').trimEnd();
    const after = lines.slice(end).join('\n').trim();
    next = `${before}\n\n${section}${after ? `\n${after}\n` : ''}`;
  }
  await writeFile(path, next);
}

export const NOTES_MARKER = '<!-- notes below are written by hand and kept when the benchmark rewrites this section -->';

/** The hand-written tail of a section (from NOTES_MARKER on), so that re-running a benchmark keeps its analysis. */
export async function handWrittenNotes(path: string, title: string): Promise<string> {
  const lines = (await readFile(path, 'utf8').catch(() => '')).split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${title}`);
  if (start < 0) return '';
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  const section = lines.slice(start, end);
  const marker = section.findIndex((l) => l.trim() === NOTES_MARKER);
  return marker < 0 ? '' : section.slice(marker).join('\n').trim();
}
