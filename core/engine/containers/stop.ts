// POST /containers/{id}/stop: the stop signal, then SIGKILL after the timeout (dockerd's containerStop).
import type { ContainerService } from './service.ts';
import type { Container } from './container.ts';
import { parseSignal } from './signals.ts';
import { exited, signalContainer, stopSignal } from './kill.ts';

/** Stops a running container; false when it was not running (the API answers 304). */
export async function stopContainerNow(svc: ContainerService, c: Container, timeoutSec?: number, signalName?: string): Promise<boolean> {
  if (!c.task) {
    if (c.rec.State.Restarting) { c.rec.HasBeenManuallyStopped = true; await svc.cancelRestart(c); return true; }
    return false;
  }
  const signal = signalName ? parseSignal(signalName) : stopSignal(c);
  const timeout = timeoutSec ?? c.rec.Config.StopTimeout ?? 10;
  c.exitOnNext = true;
  const done = exited(c, timeout < 0 ? -1 : timeout * 1000);
  await signalContainer(svc, c, signal).catch(() => {});
  if (!(await done)) {
    const killed = exited(c, -1);
    await signalContainer(svc, c, 9).catch(() => {});
    await killed;
  }
  svc.event(c, 'stop');
  return true;
}

export async function stopContainer(svc: ContainerService, ref: string, timeoutSec?: number, signalName?: string): Promise<boolean> {
  const c = svc.get(ref);
  if (signalName) parseSignal(signalName);
  return c.lock.run(() => stopContainerNow(svc, c, timeoutSec, signalName));
}
