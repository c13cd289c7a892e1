// host-linux's container record store (dockerd's <data-root>/containers/<id>/config.v2.json): what a crash in the
// middle of a write leaves is cleaned when the records are loaded.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContainerRecordStore } from '../../host-linux/runtime/records.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await removeDir(d); });

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const enc = new TextEncoder();

test('loading the records removes the temp files a crashed write left, and keeps the records', async () => {
  const root = await tempDir();
  dirs.push(root);
  const store = new ContainerRecordStore(root);
  const record = JSON.stringify({ Id: A, HostConfig: { NetworkMode: 'none' } });
  await store.put(A, enc.encode(record));
  // A daemon (another pid) killed mid-write: both temps; and one killed before a new container's first rename.
  const dead = process.pid + 1;
  await writeFile(join(root, A, `config.v2.json.tmp-${dead}`), '{"Id":"half');
  await writeFile(join(root, A, `hostconfig.json.tmp-${dead}`), '{');
  await mkdir(join(root, B));
  await writeFile(join(root, B, `config.v2.json.tmp-${dead}`), '{');
  // Not a record's temp, and this process's own (a write in flight): left alone.
  await writeFile(join(root, A, 'hosts.tmp-1'), '');
  await writeFile(join(root, A, `config.v2.json.tmp-${process.pid}`), '');

  assert.deepEqual(await store.keys(), [A]);
  assert.deepEqual((await readdir(join(root, A))).sort(), ['config.v2.json', `config.v2.json.tmp-${process.pid}`, 'hostconfig.json', 'hosts.tmp-1']);
  assert.deepEqual(await readdir(join(root, B)), []);
  assert.equal(new TextDecoder().decode(await store.get(A)), record);
  assert.equal(await readFile(join(root, A, 'hostconfig.json'), 'utf8'), '{"NetworkMode":"none"}');
});
