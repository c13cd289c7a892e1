// POST /containers/{id}/update: resources and the restart policy, applied live when running.
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import type { HostConfig } from './types.ts';
import { validateCreate } from './record.ts';

const UPDATABLE = [
  'CpuShares', 'Memory', 'NanoCpus', 'CgroupParent', 'BlkioWeight', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod',
  'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'MemoryReservation', 'MemorySwap', 'KernelMemory', 'PidsLimit',
  'RestartPolicy',
] as const;

export async function updateContainer(svc: ContainerService, ref: string, body: HostConfig): Promise<{ Warnings: string[] }> {
  const c = svc.get(ref);
  let next: HostConfig = { ...c.rec.HostConfig };
  for (const k of UPDATABLE) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (k === 'RestartPolicy' && !(v as { Name?: string }).Name) continue;
    if (typeof v === 'number' && v === 0 && k !== 'PidsLimit') continue;
    (next as Record<string, unknown>)[k] = v;
  }
  if (body.RestartPolicy?.Name && c.rec.HostConfig.AutoRemove && body.RestartPolicy.Name !== 'no') {
    throw new BerthError('invalid_argument', 'Restart policy cannot be updated because AutoRemove is enabled for the container');
  }
  if ((body.Memory ?? 0) > 0 && !body.MemorySwap && c.rec.HostConfig.MemorySwap === (c.rec.HostConfig.Memory ?? 0) * 2) {
    next.MemorySwap = body.Memory! * 2;
  }
  validateCreate(c.rec.Config, next);
  const warnings: string[] = [];
  if (svc.runtime.validateResources) {
    const v = svc.runtime.validateResources(next, { update: true });
    next = v.hostConfig;
    warnings.push(...v.warnings);
  }
  if (c.task) {
    try {
      await c.task.update(next);
    } catch (e) {
      throw new BerthError('invalid_argument', `Cannot update container ${c.id}: ${(e as Error).message}`, { cause: e });
    }
  }
  c.rec.HostConfig = next;
  await svc.save(c);
  svc.event(c, 'update');
  return { Warnings: warnings };
}
