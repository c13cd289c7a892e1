// cgroup2 io controller: the weight (io.bfq.weight takes Docker's 10..1000 as is where BFQ is
// the scheduler; io.weight is 1..10000, converted as runc does), the throttle limits in io.max
// (`MAJ:MIN rbps=N`, one device per write) and io.stat for blkio_stats.
import { hasCgroupFile, readCgroupFile, writeCgroupFile } from '../files.ts';
import type { CgroupResources } from '../resources.ts';
import { emptyBlkio, type BlkioEntry, type CgroupStats } from '../stats.ts';

export function available(dir: string): boolean {
  return hasCgroupFile(dir, 'io.weight') || hasCgroupFile(dir, 'io.bfq.weight');
}

export function blkioToIoWeight(weight: number): number {
  return Math.floor(1 + ((weight - 10) * 9999) / 990);
}

/** io.max keys, by the OCI field that fills them. */
export const IO_MAX_KEYS = {
  throttleReadBpsDevice: 'rbps', throttleWriteBpsDevice: 'wbps', throttleReadIOPSDevice: 'riops', throttleWriteIOPSDevice: 'wiops',
} as const;

/** Whether `r` asks for limits that need the io controller's io.max. */
export function wantsIoMax(r: CgroupResources): boolean {
  return Object.keys(IO_MAX_KEYS).some((k) => (r.blockIO?.[k as keyof typeof IO_MAX_KEYS]?.length ?? 0) > 0);
}

export function applyIo(dir: string, r: CgroupResources): void {
  if (r.BlkioWeight && r.BlkioWeight > 0) {
    if (hasCgroupFile(dir, 'io.bfq.weight')) writeCgroupFile(dir, 'io.bfq.weight', r.BlkioWeight);
    else if (hasCgroupFile(dir, 'io.weight')) writeCgroupFile(dir, 'io.weight', `default ${blkioToIoWeight(r.BlkioWeight)}`);
  }
  const io = r.blockIO;
  if (!io) return;
  // Per-device weights only where BFQ takes them (its io.bfq.weight then reads `default N`), as runc.
  if (/^default/.test(readCgroupFile(dir, 'io.bfq.weight') ?? '')) {
    for (const d of io.weightDevice ?? []) if (d.weight) writeCgroupFile(dir, 'io.bfq.weight', `${d.major}:${d.minor} ${d.weight}`);
  }
  for (const [field, key] of Object.entries(IO_MAX_KEYS) as [keyof typeof IO_MAX_KEYS, string][]) {
    // A rate of 0 lifts the limit, as writing 0 to a v1 throttle file does.
    for (const d of io[field] ?? []) writeCgroupFile(dir, 'io.max', `${d.major}:${d.minor} ${key}=${d.rate > 0 ? d.rate : 'max'}`);
  }
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
