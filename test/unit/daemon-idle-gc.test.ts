import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapStatistics } from 'node:v8';
import { idleGc } from '../../host-linux/daemon/idle-gc.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Garbage V8 has no reason to collect yet: many small objects, dropped at once.
function litter(): void {
  let keep: unknown[] | undefined = [];
  for (let i = 0; i < 200_000; i++) keep.push({ i, s: `x${i}` });
  keep = undefined;
}

test('an idle daemon collects its garbage a moment after the last request', async () => {
  const gc = idleGc(50);
  const handle = gc.wrap(async () => { litter(); return new Response('ok'); });
  const before = getHeapStatistics().used_heap_size;
  assert.equal(await (await handle(new Request('http://x/_ping'))).text(), 'ok');
  const littered = getHeapStatistics().used_heap_size;
  assert.ok(littered - before > 5e6, `the request left ${littered - before} bytes of garbage`);
  await sleep(200);
  const after = getHeapStatistics().used_heap_size;
  assert.ok(littered - after > 5e6, `heap ${littered} -> ${after} bytes: not collected`);
});

test('each request pushes the idle collection back', async () => {
  const gc = idleGc(150);
  const handle = gc.wrap(async () => new Response('ok'));
  litter();
  const littered = getHeapStatistics().used_heap_size;
  for (let i = 0; i < 4; i++) { await handle(new Request('http://x/_ping')); await sleep(60); }
  // 240 ms after the first request, but never 150 ms quiet: nothing collected yet.
  assert.ok(getHeapStatistics().used_heap_size >= littered * 0.9, 'collected while requests were coming in');
});

test('the end of an image stream collects at once', async () => {
  const gc = idleGc(60_000);
  litter();
  const littered = getHeapStatistics().used_heap_size;
  gc.now();
  await sleep(20);
  assert.ok(littered - getHeapStatistics().used_heap_size > 5e6, 'not collected after now()');
});
