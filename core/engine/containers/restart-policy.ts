// dockerd's restart manager: whether an exited container restarts, and after how long. The delay
// starts at 100 ms and doubles per restart up to a minute; a run of 10 s or more resets it.
import type { Container } from './container.ts';

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;

/** Decides and, when restarting, advances the back-off. Returns the delay or undefined. */
export function nextRestart(c: Container, exitCode: number, ranMs: number, shuttingDown = false): number | undefined {
  const policy = c.rec.HostConfig.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 };
  if (policy.Name === 'no' || policy.Name === '' || c.exitOnNext || shuttingDown) return undefined;
  if (ranMs >= 10_000) c.backoffMs = 0;
  const delay = c.backoffMs === 0 ? FIRST_DELAY_MS : Math.min(c.backoffMs * 2, MAX_DELAY_MS);
  let restart = false;
  if (policy.Name === 'always') restart = true;
  else if (policy.Name === 'unless-stopped') restart = !c.rec.HasBeenManuallyStopped;
  else if (policy.Name === 'on-failure') {
    const max = policy.MaximumRetryCount ?? 0;
    restart = exitCode !== 0 && (max === 0 || c.rec.RestartCount < max);
  }
  if (!restart) return undefined;
  c.backoffMs = delay;
  return delay;
}

/** At daemon start: stopped containers whose policy says they should be running. */
export function restartsAtBoot(c: Container): boolean {
  const policy = c.rec.HostConfig.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 };
  if (policy.Name === 'always') return true;
  if (policy.Name === 'unless-stopped') return !c.rec.HasBeenManuallyStopped;
  if (policy.Name === 'on-failure') {
    const max = policy.MaximumRetryCount ?? 0;
    return c.rec.State.ExitCode !== 0 && (max === 0 || c.rec.RestartCount < max);
  }
  return false;
}
