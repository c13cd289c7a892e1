// At daemon start: reconnect to live supervisors, mark the dead ones exited with their exit status
// (or 255, `shim died`), then start what the restart policies want running and remove --rm leftovers.
import { errorMessage } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import { restartsAtBoot } from './restart-policy.ts';

export async function restoreContainers(svc: ContainerService): Promise<void> {
  const all = await svc.load();
  // The running containers' addresses, names and ports are theirs again before any exit or start below.
  await svc.opts.networks?.restore(all);
  await Promise.all(all.map(async (c) => {
    const st = c.rec.State;
    if (!st.Running) return;
    if (st.Restarting) {
      // The pending restart died with the old daemon; the policy check below decides again.
      Object.assign(st, { Status: 'exited', Running: false, Restarting: false });
      await svc.save(c);
      return;
    }
    try {
      const r = await svc.runtime.reconnect(c.rec);
      if ('exitCode' in r) {
        await svc.onExit(c, undefined, r);
      } else {
        c.task = r;
        if (r.pid) st.Pid = r.pid;
        svc.monitor(c, r);
      }
    } catch (e) {
      await svc.onExit(c, undefined, { exitCode: 255, oomKilled: false, finishedAt: svc.now().toISOString(), error: `shim died: ${errorMessage(e)}` });
    }
  }));
  for (const c of all) {
    if (c.running || c.removed) continue;
    if (c.rec.HostConfig.AutoRemove && c.rec.State.Status !== 'created') {
      await svc.destroy(c).catch((e) => svc.log('warn', `removing --rm container ${c.id}: ${errorMessage(e)}`));
    } else if (c.rec.State.Status !== 'created' && restartsAtBoot(c)) {
      await c.lock.run(() => svc.runTask(c)).catch((e) => svc.log('error', `restarting container ${c.id}: ${errorMessage(e)}`));
    }
  }
}
