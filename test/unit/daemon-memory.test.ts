import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { releaseMemory } from '../../host-linux/daemon/memory.ts';
import { M_ARENA_MAX, native } from '../../host-linux/native/index.ts';
import { burst, youngGeneration } from '../helpers/heap.ts';

const rssAnon = () => Number(/^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;

test('releasing memory after a burst shrinks the heap and its young generation', () => {
  burst();
  const grown = youngGeneration();
  const physical = getHeapStatistics().total_physical_size;
  releaseMemory();
  assert.ok(youngGeneration() < grown, `young generation ${grown} -> ${youngGeneration()} bytes: not shrunk`);
  assert.ok(physical - getHeapStatistics().total_physical_size > 5e6, `heap ${physical} -> ${getHeapStatistics().total_physical_size} bytes`);
});

test('malloc_trim gives freed malloc memory back to the system', () => {
  // Allocations under the mmap threshold land in malloc's heap. Every tenth is kept, so the freed ones lie
  // between live chunks, where the automatic trim (top of the heap only) cannot return them.
  let chunks: Buffer[] | undefined = Array.from({ length: 400 }, () => Buffer.allocUnsafeSlow(64 * 1024).fill(1));
  const kept = chunks.filter((_, i) => i % 10 === 0);
  chunks = undefined;
  native().lowMemoryNotification();
  const before = rssAnon();
  assert.equal(native().mallocTrim(), true);
  assert.ok(before - rssAnon() > 10e6, `RssAnon ${before} -> ${rssAnon()} bytes`);
  assert.equal(kept.length, 40);
});

test('mallopt takes glibc M_* parameters and refuses others', () => {
  assert.equal(native().mallopt(M_ARENA_MAX, 2), true);
  assert.equal(native().mallopt(1 /* M_MXFAST */, 1 << 20), false, 'a fastbin limit over glibc\'s maximum');
  assert.throws(() => native().mallopt('arena' as unknown as number, 1), { name: 'TypeError', message: /two numbers/ });
});
