// POST /containers/{id}/wait?condition=not-running|next-exit|removed
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult { StatusCode: number; Error: { Message: string } | null }

export function parseWaitCondition(v: string | null): WaitCondition {
  if (!v) return 'not-running';
  if (v === 'not-running' || v === 'next-exit' || v === 'removed') return v;
  throw new BerthError('invalid_argument', `invalid condition: "${v}"`);
}

/** Resolves the container first (so a 404 comes before the 200), then returns the wait itself. */
export function waitContainer(svc: ContainerService, ref: string, condition: WaitCondition): () => Promise<WaitResult> {
  const c = svc.get(ref);
  const result = (): WaitResult => ({
    StatusCode: c.rec.State.ExitCode,
    Error: c.rec.State.Error ? { Message: c.rec.State.Error } : null,
  });
  // Registered now: an exit between this call and the caller's await must not be missed.
  const removed = condition === 'removed' ? c.whenRemoved() : undefined;
  let next = removed || (condition === 'not-running' && !c.running) ? undefined : c.nextExit();
  return async () => {
    // dockerd answers a removal with the exit code alone: the error of a --rm container whose start
    // failed is the start's answer, and the docker CLI would print it twice.
    if (removed) { await removed; return { ...result(), Error: null }; }
    if (condition === 'not-running') {
      while (c.running && !c.removed) { await (next ?? c.nextExit()); next = undefined; }
      return result();
    }
    await next;
    return result();
  };
}
