// POST /containers/{id}/unpause.
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';

export async function unpauseContainer(svc: ContainerService, ref: string): Promise<void> {
  const c = svc.get(ref);
  const st = c.rec.State;
  if (!st.Paused || !c.task) throw new BerthError('conflict', `Container ${c.id} is not paused`);
  await c.task.resume();
  Object.assign(st, { Paused: false, Status: 'running' });
  await svc.save(c);
  svc.event(c, 'unpause');
}
