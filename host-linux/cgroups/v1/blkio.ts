// v1 blkio controller: the weight (CFQ's blkio.weight or BFQ's blkio.bfq.weight, where the
// kernel has one) and blkio_stats from the throttle counters, which count every I/O whatever the
// scheduler. dockerd sends every list on v1, empty ones as [].
import { hasCgroupFile, readCgroupFile, writeCgroupFile } from '../files.ts';
import type { CgroupResources } from '../resources.ts';
import { emptyBlkio, type BlkioEntry, type CgroupStats } from '../stats.ts';

export function weightFile(dir: string): string | undefined {
  return ['blkio.weight', 'blkio.bfq.weight'].find((f) => hasCgroupFile(dir, f));
}

export function applyBlkio(dir: string, r: CgroupResources): void {
  if (!r.BlkioWeight || r.BlkioWeight <= 0) return;
  const file = weightFile(dir);
  if (file) writeCgroupFile(dir, file, r.BlkioWeight);
}

function entries(dir: string, file: string): BlkioEntry[] | undefined {
  const out: BlkioEntry[] = [];
  for (const line of (readCgroupFile(dir, file) ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out.length ? out : undefined;
}

export function blkioStats(dir: string): CgroupStats['blkio_stats'] {
  const pick = (name: string) => entries(dir, `blkio.throttle.${name}`) ?? entries(dir, `blkio.${name}`) ?? entries(dir, `blkio.bfq.${name}`) ?? [];
  const out = emptyBlkio();
  for (const key of Object.keys(out) as (keyof typeof out)[]) out[key] = pick(key);
  return out;
}
