// POST /containers/{id}/resize?h=&w=
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';

export async function resizeContainer(svc: ContainerService, ref: string, h: number, w: number): Promise<void> {
  const c = svc.get(ref);
  if (!c.task) throw new BerthError('conflict', `Container ${c.id} is not running`);
  await c.task.resize(h, w);
}
