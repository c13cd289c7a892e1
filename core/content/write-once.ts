// The write every blob store shares: one transfer per digest at a time, none for a blob already there.
import type { BlobInfo, Expected } from './blob-store.ts';
import type { SingleFlight } from './single-flight.ts';
import { BerthError } from '../errors.ts';

/**
 * Every store's write: one transfer per digest at a time, and none for a blob already there. A writer that joins a
 * transfer in progress never opens its own source, unless that transfer fails (its source was bad).
 */
export async function writeOnce(
  flights: SingleFlight<string, BlobInfo>, expected: Expected, present: () => Promise<BlobInfo | undefined>, transfer: () => Promise<BlobInfo>,
): Promise<BlobInfo> {
  const running = flights.get(expected.digest);
  if (running) {
    try { return checkSize(expected, await running); } catch { /* try our own source */ }
  }
  return checkSize(expected, await flights.run(expected.digest, async () => (await present()) ?? transfer()));
}

/** A blob (this writer's, or one another writer stored) must be the size this writer expects. */
export function checkSize(expected: Expected, info: BlobInfo): BlobInfo {
  if (expected.size !== undefined && info.size !== expected.size) {
    throw new BerthError('digest_mismatch', `size mismatch for ${expected.digest}: expected ${expected.size} bytes, got ${info.size}`);
  }
  return info;
}
