// Docker's JSON messages (pkg/jsonmessage): how the engine reports progress of pulls, pushes and
// loads, with the progress bars dockerd renders. The API streams them as they are.
import { errorText } from '../system-error.ts';
import { humanSize } from '../cli/units.ts';

export interface ProgressDetail { current?: number; total?: number }

export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: ProgressDetail;
  stream?: string;
  aux?: unknown;
  error?: string;
  errorDetail?: { message: string; code?: number };
}

/** Where an operation reports its progress, as Docker's JSON messages. */
export type ProgressSink = (m: JsonMessage) => void;

/** The bar dockerd puts in `progress` (a daemon renders it 200 columns wide, so the bar is shown). */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

/** A progress message with both the rendered bar and the numbers (the CLI draws its own bar from them). */
export function progressMessage(status: string, id: string, current: number, total: number): JsonMessage {
  return { status, progressDetail: { current, total }, progress: progressBar(current, total), id };
}

export function errorJsonMessage(e: unknown): JsonMessage {
  const message = errorText(e);
  return { error: message, errorDetail: { message } };
}
