// FsSnapshotter: one verified unpack per diffID, atomic appearance, shared concurrent prepares,
// nothing kept for a wrong diffID, leftovers of a crash swept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { FsSnapshotter } from '../../host-linux/snapshot/fs-snapshotter.ts';
import { packTar } from '../../core/layer/tar-write.ts';
import { nodeHash } from '../../host-linux/services.ts';
import { BerthError } from '../../core/errors.ts';

let base: string;
let n = 0;
before(() => { base = mkdtempSync(join(tmpdir(), 'berth-snap-')); });
after(() => rmSync(base, { recursive: true, force: true }));

const newRoot = () => join(base, `snap${n++}`);
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function slowStream(data: Uint8Array, chunk = 1024): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    async pull(c) {
      await new Promise((r) => setImmediate(r));
      if (off >= data.byteLength) { c.close(); return; }
      c.enqueue(data.slice(off, off + chunk));
      off += chunk;
    },
  });
}

async function layer(files: Record<string, string>) {
  const tar = await packTar(Object.entries(files).map(([name, body]) => ({ header: { name }, body })));
  return { tar, diffID: sha(tar) };
}

test('prepare unpacks once into <root>/<hex>, then has/list/path report it', async () => {
  const s = new FsSnapshotter(newRoot(), nodeHash);
  const { tar, diffID } = await layer({ 'etc/hostname': 'berth\n', 'bin/tool': 'x'.repeat(5000) });
  let opens = 0;
  const info = await s.prepare(diffID, async () => { opens++; return slowStream(tar); });
  assert.deepEqual(info, { diffID, size: 6 + 5000 });
  assert.equal(s.path(diffID), join(s.root, diffID.slice(7)));
  assert.equal(readFileSync(join(s.path(diffID), 'etc/hostname'), 'utf8'), 'berth\n');
  assert.equal(await s.has(diffID), true);
  assert.deepEqual(await s.prepare(diffID, async () => { opens++; return slowStream(tar); }), info);
  assert.equal(opens, 1);
  assert.deepEqual(await s.list(), [info]);
  // A new instance on the same root sees it too.
  assert.deepEqual(await new FsSnapshotter(s.root, nodeHash).list(), [info]);
});

test('concurrent prepares of one diffID share a single unpack', async () => {
  const s = new FsSnapshotter(newRoot(), nodeHash);
  const { tar, diffID } = await layer({ a: 'A'.repeat(100000) });
  let opens = 0;
  const open = async () => { opens++; return slowStream(tar); };
  const all = await Promise.all([s.prepare(diffID, open), s.prepare(diffID, open), s.prepare(diffID, open)]);
  assert.equal(opens, 1);
  assert.deepEqual(all[0], all[2]);
  assert.deepEqual(readdirSync(s.root).sort(), [diffID.slice(7), `${diffID.slice(7)}.json`].sort());
});

test('a tar whose digest is not the diffID is refused and nothing is kept', async () => {
  const s = new FsSnapshotter(newRoot(), nodeHash);
  const { tar } = await layer({ evil: 'not what was promised' });
  const { diffID: other } = await layer({ good: 'content' });
  await assert.rejects(s.prepare(other, async () => slowStream(tar)), (e: unknown) =>
    e instanceof BerthError && e.code === 'digest_mismatch' && e.message.includes(other) && /does not match its diffID/.test(e.message));
  assert.equal(await s.has(other), false);
  assert.deepEqual(readdirSync(s.root), [], 'no layer, no temp directory, no record');
  // A later prepare with the right content works.
  const right = await layer({ good: 'content' });
  await s.prepare(right.diffID, async () => slowStream(right.tar));
  assert.equal(await s.has(right.diffID), true);
});

test('a truncated or corrupt tar leaves nothing behind', async () => {
  const s = new FsSnapshotter(newRoot(), nodeHash);
  const { tar, diffID } = await layer({ f: 'y'.repeat(10000) });
  await assert.rejects(s.prepare(diffID, async () => slowStream(tar.subarray(0, 3000))), /does not match its diffID/);
  await assert.rejects(s.prepare(diffID, async () => { throw new Error('registry went away'); }), /registry went away/);
  assert.deepEqual(readdirSync(s.root), []);
});

test('leftovers of a crash are swept on first use; remove deletes the layer and its record', async () => {
  const root = newRoot();
  const { tar, diffID } = await layer({ keep: 'me' });
  const s1 = new FsSnapshotter(root, nodeHash);
  await s1.prepare(diffID, async () => slowStream(tar));
  const hex = diffID.slice(7);
  mkdirSync(join(root, `.tmp-${'a'.repeat(64)}-x`, 'half/written'), { recursive: true });
  mkdirSync(join(root, `.rm-${'b'.repeat(64)}-y`));
  writeFileSync(join(root, `${'c'.repeat(64)}.json`), '{}');
  const s2 = new FsSnapshotter(root, nodeHash);
  assert.equal(await s2.has(diffID), true);
  assert.deepEqual(readdirSync(root).sort(), [hex, `${hex}.json`].sort());
  await s2.remove(diffID);
  assert.equal(await s2.has(diffID), false);
  assert.deepEqual(readdirSync(root), []);
  await s2.remove(diffID); // removing a missing layer is fine
  assert.equal(existsSync(join(root, hex)), false);
});

test('invalid diffIDs are refused before anything is opened', async () => {
  const s = new FsSnapshotter(newRoot(), nodeHash);
  await assert.rejects(s.prepare('sha256:nothex', async () => { throw new Error('opened'); }), /invalid checksum digest/);
});
