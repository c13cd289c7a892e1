// POST /containers/{id}/start.
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';

/** Returns false when the container was already running (the API answers 304). */
export async function startContainer(svc: ContainerService, ref: string): Promise<boolean> {
  const c = svc.get(ref);
  return c.lock.run(async () => {
    const st = c.rec.State;
    if (st.Paused) throw new BerthError('conflict', 'cannot start a paused container, try unpause instead');
    if (st.Running && !st.Restarting) return false;
    if (c.removing) throw new BerthError('conflict', `container is marked for removal and cannot be started`);
    if (st.Dead) throw new BerthError('conflict', 'cannot start a dead container');
    if (st.Restarting) await svc.cancelRestart(c);
    c.rec.HasBeenManuallyStopped = false;
    c.exitOnNext = false;
    c.backoffMs = 0;
    c.rec.RestartCount = 0;
    try {
      await svc.runTask(c);
    } catch (e) {
      // --rm: a container that never ran is removed as well.
      if (c.rec.HostConfig.AutoRemove) await svc.destroy(c).catch(() => {});
      throw e;
    }
    return true;
  });
}
