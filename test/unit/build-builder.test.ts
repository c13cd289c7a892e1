// The builder's pure pieces: stage output kept in stage order, the cache key's notion of equal configs,
// SOURCE_DATE_EPOCH's clamping of a container's layer.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { OrderedOutput } from '../../core/build/ordered-output.ts';
import { cacheKey } from '../../core/build/build-cache.ts';
import { clampLayerTimes } from '../../core/build/layer-times.ts';
import { packTar, type TarInput } from '../../core/layer/tar-write.ts';
import { readTar } from '../../core/layer/tar-read.ts';
import type { JsonMessage } from '../../core/engine/json-message.ts';

describe('OrderedOutput', () => {
  test('a later stage is held until every stage before it is done, then flushed in order', () => {
    const seen: string[] = [];
    const out = new OrderedOutput([0, 2, 5], (m: JsonMessage) => seen.push(m.stream ?? ''));
    out.write(2, { stream: 'b1' });
    out.write(0, { stream: 'a1' });
    out.write(5, { stream: 'c1' });
    out.write(2, { stream: 'b2' });
    assert.deepEqual(seen, ['a1']);
    out.finish(5); // done early: still behind 0 and 2
    assert.deepEqual(seen, ['a1']);
    out.finish(0);
    assert.deepEqual(seen, ['a1', 'b1', 'b2']);
    out.write(2, { stream: 'b3' }); // the head now writes through
    assert.deepEqual(seen, ['a1', 'b1', 'b2', 'b3']);
    out.finish(2);
    assert.deepEqual(seen, ['a1', 'b1', 'b2', 'b3', 'c1']);
  });

  test('flushAll gives what a failed build still held; a stage found while building writes through', () => {
    const seen: string[] = [];
    const out = new OrderedOutput([0, 1], (m) => seen.push(m.stream ?? ''));
    out.write(1, { stream: 'held' });
    out.write(7, { stream: 'unplanned' });
    out.write(0, { stream: 'head' });
    out.flushAll();
    assert.deepEqual(seen, ['unplanned', 'head', 'held']);
  });
});

describe('cacheKey', () => {
  test('empty and absent are the same; key order is not; any command, env or label change is', () => {
    const base = { Cmd: ['/bin/sh', '-c', 'true'], Env: ['A=1'], Labels: { a: '1', b: '2' } };
    assert.equal(cacheKey(base), cacheKey({ ...base, Labels: { b: '2', a: '1' }, Volumes: {}, Entrypoint: null, OnBuild: [] }));
    assert.notEqual(cacheKey(base), cacheKey({ ...base, Cmd: ['/bin/sh', '-c', 'false'] }));
    assert.notEqual(cacheKey(base), cacheKey({ ...base, Env: ['A=2'] }));
    assert.notEqual(cacheKey(base), cacheKey({ ...base, Labels: { a: '1' } }));
    assert.notEqual(cacheKey(base), cacheKey({ ...base, WorkingDir: '/w' }));
    assert.notEqual(cacheKey(base), cacheKey({ ...base, BerthRunFlags: ['--network=none'] } as typeof base));
  });
});

describe('clampLayerTimes', () => {
  test('mtimes after the epoch become the epoch, earlier ones keep whole seconds, access/change times go', async () => {
    const epoch = 1_700_000_000;
    const entries: TarInput[] = [
      { header: { name: 'new', type: 'file', mode: 0o644, mtime: new Date((epoch + 500) * 1000), pax: { atime: '1.5', ctime: '2.5' } }, body: 'n' },
      { header: { name: 'old', type: 'file', mode: 0o644, mtime: new Date(1_600_000_000_250) }, body: 'o' },
      { header: { name: 'dir/', type: 'directory', mode: 0o755, mtime: new Date((epoch + 9) * 1000) } },
    ];
    const clamped = clampLayerTimes(new Blob([await packTar(entries)]).stream(), epoch);
    const got: { name: string; mtime: number; pax: Record<string, string>; body: string }[] = [];
    for await (const e of readTar(clamped)) got.push({ name: e.name, mtime: e.mtime.getTime(), pax: e.pax, body: await new Response(e.body).text() });
    assert.deepEqual(got.map((g) => [g.name, g.mtime, g.body]), [['new', epoch * 1000, 'n'], ['old', 1_600_000_000_000, 'o'], ['dir/', epoch * 1000, '']]);
    assert.equal(got[0]!.pax.atime, undefined);
    assert.equal(got[0]!.pax.ctime, undefined);
  });
});
