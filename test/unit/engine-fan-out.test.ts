// One download into two consumers: every branch sees every byte, and the source is read only as
// fast as the slowest live branch takes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fanOut } from '../../core/engine/fan-out.ts';

/** A source of `count` 1-byte chunks that records how many were pulled and whether it was cancelled. */
function source(count: number, opts: { failAt?: number; slow?: boolean } = {}) {
  const state = { pulled: 0, cancelled: undefined as unknown };
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (opts.slow) await new Promise((r) => setTimeout(r, 1));
      if (opts.failAt !== undefined && state.pulled === opts.failAt) { c.error(new Error('network gone')); return; }
      if (state.pulled === count) { c.close(); return; }
      c.enqueue(new Uint8Array([state.pulled++ % 256]));
    },
    cancel(reason) { state.cancelled = reason ?? 'cancelled'; },
  }, { highWaterMark: 0 });
  return { stream, state };
}

async function readAll(s: ReadableStream<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  const reader = s.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(...r.value);
  return out;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

test('every branch gets every chunk, in order', async () => {
  const { stream } = source(100);
  const { branches } = fanOut(stream, 2);
  const [a, b] = await Promise.all(branches.map(readAll));
  const want = Array.from({ length: 100 }, (_, i) => i);
  assert.deepEqual(a, want);
  assert.deepEqual(b, want);
});

test('a branch nobody reads holds the source back; cancelling it lets the other finish', async () => {
  const { stream, state } = source(1000);
  const { branches } = fanOut(stream, 2);
  const reading = readAll(branches[0]!);
  await tick();
  // Bounded by the idle branch's queue, not the whole source (tee() would read it all).
  assert.ok(state.pulled < 20, `pulled ${state.pulled}`);
  await branches[1]!.cancel();
  assert.equal((await reading).length, 1000);
  assert.equal(state.cancelled, undefined);
});

test('cancelling every branch cancels the source', async () => {
  const { stream, state } = source(1000);
  const { branches } = fanOut(stream, 2);
  await branches[0]!.cancel('no');
  await branches[1]!.cancel('not either');
  assert.equal(state.cancelled, 'not either');
});

test('a source error reaches every branch', async () => {
  const { stream } = source(1000, { failAt: 50 });
  const { branches } = fanOut(stream, 2);
  const results = await Promise.allSettled(branches.map(readAll));
  for (const r of results) assert.match(String(r.status === 'rejected' && r.reason), /network gone/);
});

test('abort errors every branch with the reason and cancels the source', async () => {
  const { stream, state } = source(1000, { slow: true });
  const { branches, abort } = fanOut(stream, 2);
  const readers = branches.map(readAll);
  await tick();
  abort(new Error('the other layer failed'));
  for (const r of await Promise.allSettled(readers)) assert.match(String(r.status === 'rejected' && r.reason), /the other layer failed/);
  await tick();
  assert.ok(state.cancelled instanceof Error);
  assert.ok(state.pulled < 1000);
});
