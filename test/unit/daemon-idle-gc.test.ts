import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idleGc } from '../../host-linux/daemon/idle-gc.ts';
import { burst, youngGeneration } from '../helpers/heap.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an idle daemon gives its memory back a moment after the last request', async () => {
  const gc = idleGc(50);
  const handle = gc.wrap(async () => { burst(); return new Response('ok'); });
  assert.equal(await (await handle(new Request('http://x/_ping'))).text(), 'ok');
  const grown = youngGeneration();
  await sleep(200);
  assert.ok(youngGeneration() < grown, `young generation ${grown} -> ${youngGeneration()} bytes: not released`);
});

test('each request pushes the release back', async () => {
  const gc = idleGc(150);
  const handle = gc.wrap(async () => new Response('ok'));
  burst();
  const grown = youngGeneration();
  for (let i = 0; i < 4; i++) { await handle(new Request('http://x/_ping')); await sleep(60); }
  // 240 ms after the first request, but never 150 ms quiet: nothing released yet.
  assert.ok(youngGeneration() >= grown, 'released while requests were coming in');
  await sleep(300);
  assert.ok(youngGeneration() < grown, 'not released once quiet');
});

test('the end of an image stream releases at once', async () => {
  const gc = idleGc(60_000);
  burst();
  const grown = youngGeneration();
  gc.now();
  await sleep(20);
  assert.ok(youngGeneration() < grown, 'not released after now()');
});
