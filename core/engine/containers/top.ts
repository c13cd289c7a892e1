// GET /containers/{id}/top?ps_args=
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';

export async function topContainer(svc: ContainerService, ref: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
  const c = svc.get(ref);
  if (!c.task || c.rec.State.Restarting) throw new BerthError('conflict', `Container ${c.id} is not running`);
  const top = await c.task.top(psArgs || '-ef');
  svc.event(c, 'top');
  return top;
}
