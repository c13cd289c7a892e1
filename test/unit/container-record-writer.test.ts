// Container records on a full disk: a transition that cannot be written stays in memory, is parked,
// logged once, and written once the disk takes writes again; a new container's first record must fit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryMetadataStore } from '../../core/metadata/memory-kv.ts';
import { RecordWriter } from '../../core/engine/containers/record-writer.ts';
import { Container } from '../../core/engine/containers/container.ts';
import type { ContainerRecord } from '../../core/engine/containers/types.ts';

/** A store on a disk that can fill up: puts fail as Node's fs fails them (ENOSPC) while `full`. */
class FillableStore extends MemoryMetadataStore {
  full = false;
  override async put(key: string, value: Uint8Array): Promise<void> {
    if (this.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    return super.put(key, value);
  }
}

const ID = 'a'.repeat(64);

function record(status: string): ContainerRecord {
  return { Id: ID, Name: '/c', State: { Status: status, Running: status === 'running', ExitCode: 0 } } as unknown as ContainerRecord;
}

async function stored(store: MemoryMetadataStore): Promise<ContainerRecord | undefined> {
  const raw = await store.get(ID);
  return raw ? JSON.parse(new TextDecoder().decode(raw)) as ContainerRecord : undefined;
}

function setUp() {
  const store = new FillableStore();
  const pending = new MemoryMetadataStore();
  const logs: string[] = [];
  const writer = new RecordWriter({ store, pending, log: (level, m) => logs.push(`${level}: ${m}`) });
  return { store, pending, logs, writer };
}

test('a transition the full disk cannot take stays in memory, parked, and is written once space frees', async () => {
  const { store, pending, logs, writer } = setUp();
  const c = new Container(record('running'));
  await writer.write(c);
  assert.equal((await stored(store))?.State.Status, 'running');

  store.full = true;
  c.rec.State = { ...c.rec.State, Status: 'exited', Running: false, ExitCode: 1 };
  await writer.write(c); // does not throw: the exit happened
  c.rec.RestartCount = 1;
  await writer.write(c);
  assert.equal((await stored(store))?.State.Status, 'running', 'the previous good record is kept');
  assert.equal(c.dirty, true);
  assert.equal(writer.behind, 1);
  assert.equal(logs.filter((l) => l.startsWith('error:')).length, 1, `logged once: ${logs.join('\n')}`);
  assert.match(logs[0]!, /write: no space left on device/);

  // A daemon restart now finds the parked, newer record over the store's.
  const restarted = new RecordWriter({ store, pending, log: () => {} });
  const [loaded] = await restarted.load();
  assert.equal(loaded?.rec.State.Status, 'exited');
  assert.equal(loaded?.rec.RestartCount, 1);
  assert.equal(loaded?.dirty, true);

  store.full = false;
  await writer.flush();
  const after = await stored(store);
  assert.equal(after?.State.Status, 'exited');
  assert.equal(after?.State.ExitCode, 1);
  assert.equal(after?.RestartCount, 1);
  assert.equal(c.dirty, false);
  assert.equal(writer.behind, 0);
  assert.equal(await pending.get(ID), undefined, 'the parked record is dropped once written');
  assert.match(logs.at(-1)!, /^info: recorded the state of container a+ again$/);
});

test('the next transition retries the write', async () => {
  const { store, writer } = setUp();
  const c = new Container(record('running'));
  await writer.write(c);
  store.full = true;
  c.rec.State = { ...c.rec.State, Status: 'exited', Running: false };
  await writer.write(c);
  store.full = false;
  c.rec.State = { ...c.rec.State, Status: 'running', Running: true };
  await writer.write(c);
  assert.equal((await stored(store))?.State.Status, 'running');
  assert.equal(writer.behind, 0);
});

test("a new container's first record must be written: create fails with the disk's one line", async () => {
  const { store, writer } = setUp();
  store.full = true;
  const c = new Container(record('created'));
  await assert.rejects(writer.write(c), { message: 'write: no space left on device', status: 500 });
  assert.equal(writer.behind, 0);
});

test('removing a container whose record is behind drops it from the retries and the parking', async () => {
  const { store, pending, writer } = setUp();
  const c = new Container(record('running'));
  await writer.write(c);
  store.full = true;
  c.rec.State = { ...c.rec.State, Status: 'exited', Running: false };
  await writer.write(c);
  assert.notEqual(await pending.get(ID), undefined);
  await writer.remove(c);
  assert.equal(writer.behind, 0);
  assert.equal(await pending.get(ID), undefined);
  assert.equal(await store.get(ID), undefined);
});

test('a parked record whose container is gone from the store is a leftover: dropped at load', async () => {
  const { store, pending } = setUp();
  await pending.put(ID, new TextEncoder().encode(JSON.stringify(record('exited'))));
  const writer = new RecordWriter({ store, pending, log: () => {} });
  assert.deepEqual(await writer.load(), []);
  assert.equal(await pending.get(ID), undefined);
  assert.equal(writer.behind, 0);
});
