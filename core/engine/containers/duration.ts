// Docker's units.HumanDuration and container status strings (`Up 2 seconds`, `Exited (0) 3 seconds ago`).
import type { ContainerState } from './types.ts';
import { ZERO_TIME } from './types.ts';

export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

export function isZeroTime(t: string): boolean {
  return !t || t === ZERO_TIME || t.startsWith('0001-01-01');
}

/** The `Status` column of `docker ps` (dockerd's State.String). */
export function statusString(s: ContainerState, now: Date, removing = false): string {
  const since = (t: string) => humanDuration(Math.max(0, now.getTime() - Date.parse(t)));
  if (s.Running) {
    if (s.Paused) return `Up ${since(s.StartedAt)} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${since(s.FinishedAt)} ago`;
    return `Up ${since(s.StartedAt)}`;
  }
  if (removing || s.Status === 'removing') return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (isZeroTime(s.StartedAt)) return 'Created';
  if (isZeroTime(s.FinishedAt)) return '';
  return `Exited (${s.ExitCode}) ${since(s.FinishedAt)} ago`;
}
