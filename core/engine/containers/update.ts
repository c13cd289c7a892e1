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
  // dockerd's UpdateContainer: a memory limit above the swap limit already set (none set counts as 0)
  // needs a new swap limit in the same update.
  const conflict = conflictingUpdate(c.rec.HostConfig, body);
  if (conflict) throw new BerthError('conflict', `Cannot update container ${c.id}: ${conflict}`);
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

function conflictingUpdate(cur: HostConfig, body: HostConfig): string | undefined {
  if ((body.NanoCpus ?? 0) > 0 && (cur.CpuPeriod ?? 0) > 0) return 'Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set';
  if ((body.NanoCpus ?? 0) > 0 && (cur.CpuQuota ?? 0) > 0) return 'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set';
  if ((body.CpuPeriod ?? 0) > 0 && (cur.NanoCpus ?? 0) > 0) return 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set';
  if ((body.CpuQuota ?? 0) > 0 && (cur.NanoCpus ?? 0) > 0) return 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set';
  if ((body.Memory ?? 0) !== 0 && body.Memory! > (cur.MemorySwap ?? 0) && !body.MemorySwap) {
    return 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time';
  }
  return undefined;
}
