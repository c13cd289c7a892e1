// cgroup2 io controller: the weight (io.bfq.weight takes Docker's 10..1000 as is where BFQ is
// the scheduler; io.weight is 1..10000, converted as runc does) and io.stat for blkio_stats.
import { hasCgroupFile, readCgroupFile, writeCgroupFile } from '../files.ts';
import type { CgroupResources } from '../resources.ts';
import { emptyBlkio, type BlkioEntry, type CgroupStats } from '../stats.ts';

export function available(dir: string): boolean {
  return hasCgroupFile(dir, 'io.weight') || hasCgroupFile(dir, 'io.bfq.weight');
}

export function blkioToIoWeight(weight: number): number {
  return Math.floor(1 + ((weight - 10) * 9999) / 990);
}

export function applyIo(dir: string, r: CgroupResources): void {
  if (!r.BlkioWeight || r.BlkioWeight <= 0) return;
  if (hasCgroupFile(dir, 'io.bfq.weight')) writeCgroupFile(dir, 'io.bfq.weight', r.BlkioWeight);
  else if (hasCgroupFile(dir, 'io.weight')) writeCgroupFile(dir, 'io.weight', `default ${blkioToIoWeight(r.BlkioWeight)}`);
}

/** io.stat lines `MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=..`, as dockerd maps them (lower-case ops). */
export function ioStats(dir: string): CgroupStats['blkio_stats'] {
  const bytes: BlkioEntry[] = [];
  for (const line of (readCgroupFile(dir, 'io.stat') ?? '').split('\n')) {
    const [dev, ...fields] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(fields.map((f) => f.split('=')).map(([k, v]) => [k, Number(v)]));
    const major = Number(m[1]);
    const minor = Number(m[2]);
    bytes.push({ major, minor, op: 'read', value: kv['rbytes'] ?? 0 }, { major, minor, op: 'write', value: kv['wbytes'] ?? 0 });
  }
  return { ...emptyBlkio(), io_service_bytes_recursive: bytes.length ? bytes : null };
}
