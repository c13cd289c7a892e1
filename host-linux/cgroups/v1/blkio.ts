// v1 blkio controller: the weight and per-device weights (CFQ's blkio.weight[_device], or BFQ's
// blkio.bfq.weight[_device] where CFQ is gone, as runc picks them), the throttle limits
// (blkio.throttle.*_device, one `MAJ:MIN value` per write), and blkio_stats from the throttle
// counters, which count every I/O whatever the scheduler. dockerd sends every list on v1, empty ones as [].
import { hasCgroupFile, readCgroupFile, writeCgroupFile } from '../files.ts';
import type { CgroupResources, DeviceRate } from '../resources.ts';
import { emptyBlkio, type BlkioEntry, type CgroupStats } from '../stats.ts';

export function weightFile(dir: string): string | undefined {
  return ['blkio.weight', 'blkio.bfq.weight'].find((f) => hasCgroupFile(dir, f));
}

/** The throttle files, by the OCI field that fills them. */
export const THROTTLE_FILES = {
  throttleReadBpsDevice: 'blkio.throttle.read_bps_device',
  throttleWriteBpsDevice: 'blkio.throttle.write_bps_device',
  throttleReadIOPSDevice: 'blkio.throttle.read_iops_device',
  throttleWriteIOPSDevice: 'blkio.throttle.write_iops_device',
} as const;

export function applyBlkio(dir: string, r: CgroupResources): void {
  if (r.BlkioWeight && r.BlkioWeight > 0) {
    const file = weightFile(dir);
    if (file) writeCgroupFile(dir, file, r.BlkioWeight);
  }
  const io = r.blockIO;
  if (!io) return;
  const weightDevice = hasCgroupFile(dir, 'blkio.weight') ? 'blkio.weight_device' : 'blkio.bfq.weight_device';
  for (const d of io.weightDevice ?? []) {
    if (d.weight) writeCgroupFile(dir, weightDevice, `${d.major}:${d.minor} ${d.weight}`);
  }
  for (const [field, file] of Object.entries(THROTTLE_FILES) as [keyof typeof THROTTLE_FILES, string][]) {
    for (const d of (io[field] ?? []) as DeviceRate[]) writeCgroupFile(dir, file, `${d.major}:${d.minor} ${d.rate}`);
  }
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
