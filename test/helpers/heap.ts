// What a busy moment leaves in V8's heap, for tests of the daemon's idle memory release.
import { getHeapSpaceStatistics } from 'node:v8';

/** Physical size of V8's young generation: normal collections grow it, only a memory-reducing one shrinks it. */
export function youngGeneration(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.physical_space_size;
}

/** A burst: objects that live long enough for V8 to grow its young generation, then are all dropped. */
export function burst(): void {
  let keep: unknown[][] | undefined = [];
  for (let round = 0; round < 40; round++) {
    const batch: unknown[] = [];
    for (let i = 0; i < 20_000; i++) batch.push({ round, i, s: `x${i}` });
    keep.push(batch);
  }
  keep = undefined;
}
