// POST /containers/{id}/pause: freeze every process of the container (cgroup freezer).
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';

export async function pauseContainer(svc: ContainerService, ref: string): Promise<void> {
  const c = svc.get(ref);
  const st = c.rec.State;
  if (!c.task || st.Restarting) throw new BerthError('conflict', `Container ${c.id} is not running`);
  if (st.Paused) throw new BerthError('conflict', `Container ${c.id} is already paused`);
  await c.task.pause();
  Object.assign(st, { Paused: true, Status: 'paused' });
  await svc.save(c);
  svc.event(c, 'pause');
}
