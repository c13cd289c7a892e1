import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLayerToPaths, classifyWhiteout, opaquePath, whiteoutPath } from '../../core/layer/whiteout.ts';
import { computeDiffID, diffIDStream } from '../../core/layer/diffid.ts';
import { packTar } from '../../core/layer/tar-write.ts';
import { nodeHash } from '../../host-linux/services.ts';
import { createHash } from 'node:crypto';

test('classifyWhiteout', () => {
  assert.deepEqual(classifyWhiteout('etc/passwd'), { kind: 'none' });
  assert.deepEqual(classifyWhiteout('etc/.wh.passwd'), { kind: 'whiteout', dir: 'etc', name: 'passwd', target: 'etc/passwd' });
  assert.deepEqual(classifyWhiteout('.wh.tmp'), { kind: 'whiteout', dir: '', name: 'tmp', target: 'tmp' });
  assert.deepEqual(classifyWhiteout('var/lib/.wh..wh..opq'), { kind: 'opaque', dir: 'var/lib' });
  assert.deepEqual(classifyWhiteout('.wh..wh..opq'), { kind: 'opaque', dir: '' });
  assert.deepEqual(classifyWhiteout('x/.wh..wh..plnk'), { kind: 'meta', dir: 'x', name: '.wh..wh..plnk' });
  assert.deepEqual(classifyWhiteout('a.wh.b'), { kind: 'none' });
  assert.deepEqual(classifyWhiteout('.wh.dir/file'), { kind: 'none' });
});

test('whiteoutPath and opaquePath are the inverse of classification', () => {
  assert.equal(whiteoutPath('etc/passwd'), 'etc/.wh.passwd');
  assert.equal(whiteoutPath('tmp'), '.wh.tmp');
  assert.equal(opaquePath('var/lib'), 'var/lib/.wh..wh..opq');
  assert.equal(opaquePath(''), '.wh..wh..opq');
  for (const p of ['a/b/c', 'x']) {
    const w = classifyWhiteout(whiteoutPath(p));
    assert.equal(w.kind === 'whiteout' && w.target, p);
  }
});

test('applying whiteouts: a deleted path takes its subtree, opaque hides only lower content', () => {
  const lower = ['etc', 'etc/passwd', 'etc/group', 'var', 'var/lib', 'var/lib/apt', 'var/lib/apt/lists', 'var/log', 'tmp', 'tmp/x'];
  const layer = ['etc/.wh.group', '.wh.tmp', 'var/lib/new', 'var/lib/.wh..wh..opq', 'var/lib/sub/file', 'opt/.wh..wh..plnk'];
  const result = applyLayerToPaths(lower, layer);
  assert.deepEqual([...result].sort(), [
    'etc', 'etc/passwd', 'var', 'var/lib', 'var/lib/new', 'var/lib/sub', 'var/lib/sub/file', 'var/log',
  ]);
});

test('a whiteout does not delete what the same layer adds, whatever the order', () => {
  const result = applyLayerToPaths(['d', 'd/old'], ['d/new', 'd/.wh..wh..opq']);
  assert.deepEqual([...result].sort(), ['d', 'd/new']);
});

test('diffID is the sha256 of the whole uncompressed tar', async () => {
  const tar = await packTar([{ header: { name: 'hello' }, body: 'world' }]);
  const expected = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const got = await computeDiffID(new Blob([tar]).stream(), nodeHash);
  assert.deepEqual(got, { diffID: expected, size: tar.byteLength });
  const d = diffIDStream(nodeHash);
  assert.throws(() => d.diffID(), /before the stream ended/);
  await new Blob([tar]).stream().pipeThrough(d.stream).pipeTo(new WritableStream());
  assert.equal(d.diffID(), expected);
});
