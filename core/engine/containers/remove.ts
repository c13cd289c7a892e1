// DELETE /containers/{id}: refuse running containers unless forced; forced ones are killed first.
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import { signalContainer } from './kill.ts';

export async function removeContainer(svc: ContainerService, ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
  const c = svc.get(ref);
  if (c.removing) throw new BerthError('conflict', `removal of container ${ref} is already in progress`);
  const st = c.rec.State;
  if (st.Running && !opts.force) {
    if (st.Paused) throw new BerthError('conflict', `You cannot remove a paused container ${c.id}. Unpause and then stop the container before attempting removal or force remove`);
    if (!st.Restarting) throw new BerthError('conflict', `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`);
    throw new BerthError('conflict', `You cannot remove a restarting container ${c.id}. Stop the container before attempting removal or force remove`);
  }
  c.removing = true;
  try {
    await c.lock.run(async () => {
      if (c.rec.State.Restarting) await svc.cancelRestart(c);
      if (c.task) {
        const exit = c.nextExit();
        await signalContainer(svc, c, 9).catch(() => {});
        await Promise.race([exit, new Promise((r) => setTimeout(r, 15_000))]);
      }
      if (c.removed) return; // --rm got there first
      if (c.task) throw new BerthError('internal', `could not kill running container ${c.id}, cannot remove`);
      await svc.destroy(c, opts.volumes);
    });
  } finally {
    if (!c.removed) c.removing = false;
  }
}
