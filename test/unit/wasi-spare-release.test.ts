// berthd's idle release after the WASI pool ends its spare worker: nothing else happens at that moment (the
// last request was a minute before), so without the pool's `spareEnded` the memory stays taken until the next
// request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../core/wasi/worker-pool.ts';
import { idleGc } from '../../host-linux/daemon/idle-gc.ts';
import { spawnNodeWasiWorker } from '../../host-linux/runtime/wasi-spawn.ts';
import { burst, youngGeneration } from '../helpers/heap.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the end of an idle spare worker releases the daemon\'s memory', async () => {
  const gc = idleGc(50);
  let ended = 0;
  const pool = new WorkerPool(spawnNodeWasiWorker, 200, () => { ended++; gc.poke(); });
  try {
    pool.give(pool.take());
    burst();
    const grown = youngGeneration();
    for (let i = 0; i < 100 && !ended; i++) await sleep(50);
    assert.equal(ended, 1, 'spareEnded not called once the spare was ended');
    assert.equal(pool.hasSpare, false);
    assert.ok(youngGeneration() >= grown, 'released before the spare ended');
    await sleep(250);
    assert.ok(youngGeneration() < grown, `young generation ${grown} -> ${youngGeneration()} bytes: not released`);
  } finally {
    pool.close();
  }
});

test('a spare ended by closing the pool (shutdown) is not reported', async () => {
  let ended = 0;
  const pool = new WorkerPool(spawnNodeWasiWorker, 100, () => { ended++; });
  pool.give(pool.take());
  assert.ok(pool.hasSpare);
  pool.close();
  await sleep(300);
  assert.equal(ended, 0);
});
