// POST /containers/{id}/kill, and the signalling that stop and rm share.
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import type { Container } from './container.ts';
import { parseSignal } from './signals.ts';

export function stopSignal(c: Container): number {
  const s = c.rec.Config.StopSignal;
  try { return s ? parseSignal(s) : 15; } catch { return 15; }
}

/** Resolves true when the running task exits, or after `ms` (ms < 0: no limit) with whether it has by then. */
export function exited(c: Container, ms: number): Promise<boolean> {
  if (!c.task) return Promise.resolve(true);
  const exit = c.nextExit().then(() => true);
  if (ms < 0) return exit;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([exit, new Promise<boolean>((r) => { timer = setTimeout(() => r(!c.task), ms); })]).finally(() => clearTimeout(timer));
}

/** Sends a signal to the container's init; the stop signal and SIGKILL cancel the restart policy. */
export async function signalContainer(svc: ContainerService, c: Container, signal: number): Promise<void> {
  const task = c.task;
  if (!task) {
    if (c.rec.State.Restarting) { await svc.cancelRestart(c); return; }
    throw new BerthError('conflict', `Container ${c.id} is not running`);
  }
  if (signal === 9 || signal === stopSignal(c)) c.exitOnNext = true;
  if (!svc.shuttingDown) { c.rec.HasBeenManuallyStopped = true; await svc.save(c); }
  svc.event(c, 'kill', { signal: String(signal) });
  await task.kill(signal, signal === 9);
  // A frozen process only sees the signal when it thaws.
  if (c.rec.State.Paused && (signal === 9 || signal === stopSignal(c))) {
    await task.resume().catch(() => {});
    Object.assign(c.rec.State, { Paused: false, Status: 'running' });
    await svc.save(c);
  }
}

export async function killContainer(svc: ContainerService, ref: string, signalName?: string): Promise<void> {
  const c = svc.get(ref);
  const signal = signalName ? parseSignal(signalName) : 9;
  if (!c.task && !c.rec.State.Restarting) throw new BerthError('conflict', `Cannot kill container: ${ref}: Container ${c.id} is not running`);
  // dockerd's Kill: with SIGKILL the answer waits until the container has stopped, so a `docker rm`
  // right after `docker kill` finds it exited.
  const exit = signal === 9 && c.task ? exited(c, 10_000) : undefined;
  try {
    await signalContainer(svc, c, signal);
    if (exit) await exit;
  } catch (e) {
    if (e instanceof BerthError && e.code === 'conflict') throw new BerthError('conflict', `Cannot kill container: ${ref}: ${e.message}`);
    throw e;
  }
}
