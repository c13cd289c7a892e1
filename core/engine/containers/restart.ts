// POST /containers/{id}/restart: stop if running, then start.
import type { ContainerService } from './service.ts';
import { stopContainerNow } from './stop.ts';

export async function restartContainer(svc: ContainerService, ref: string, timeoutSec?: number, signalName?: string): Promise<void> {
  const c = svc.get(ref);
  await c.lock.run(async () => {
    await stopContainerNow(svc, c, timeoutSec, signalName);
    c.rec.HasBeenManuallyStopped = false;
    c.exitOnNext = false;
    await svc.runTask(c);
  });
  svc.event(c, 'restart');
}
