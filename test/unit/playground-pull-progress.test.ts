// The status line's pull progress, summed from the JSON messages of POST /images/create as the
// engine streams them (split across chunks anywhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PullProgress, readPullStream } from '../../playground/src/pull-progress.ts';

const messages = [
  { status: 'Pulling from library/busybox', id: 'latest' },
  { status: 'Pulling fs layer', id: 'aaa' },
  { status: 'Pulling fs layer', id: 'bbb' },
  { status: 'Downloading', progressDetail: { current: 100, total: 1000 }, id: 'aaa' },
  { status: 'Downloading', progressDetail: { current: 50, total: 200 }, id: 'bbb' },
];
const rest = [
  { status: 'Download complete', id: 'bbb' },
  { status: 'Pull complete', id: 'bbb' },
  { status: 'Downloading', progressDetail: { current: 1000, total: 1000 }, id: 'aaa' },
  { status: 'Pull complete', id: 'aaa' },
  { status: 'Digest: sha256:0123' },
  { status: 'Status: Downloaded newer image for busybox:latest' },
];

function stream(objs: object[], chunk: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(objs.map((o) => JSON.stringify(o) + '\r\n').join(''));
  let at = 0;
  return new ReadableStream({ pull(c) { if (at >= bytes.length) c.close(); else { c.enqueue(bytes.slice(at, at + chunk)); at += chunk; } } });
}

test('bytes and layers add up over the layers; the tag line is not a layer', () => {
  const p = new PullProgress('busybox:latest');
  for (const m of messages) p.add(m);
  assert.deepEqual(p.state, { ref: 'busybox:latest', current: 150, total: 1200, layersDone: 0, layers: 2 });
  for (const m of rest) p.add(m);
  assert.deepEqual(p.state, { ref: 'busybox:latest', current: 1200, total: 1200, layersDone: 2, layers: 2, outcome: 'done' });
});

test('a stream read in odd chunks gives the same; an error message ends the pull with its text', async () => {
  for (const chunk of [1, 7, 4096]) {
    const p = new PullProgress('busybox');
    let changes = 0;
    await readPullStream(stream([...messages, ...rest], chunk), p, () => { changes++; });
    assert.equal(p.state.outcome, 'done');
    assert.equal(p.state.current, 1200);
    assert.ok(changes >= messages.length + rest.length);
  }
  const failed = new PullProgress('nope');
  await readPullStream(stream([{ status: 'Pulling from library/nope', id: 'latest' }, { errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' }], 5), failed, () => {});
  assert.deepEqual(failed.state.outcome, { error: 'manifest unknown' });
  const cut = new PullProgress('cut');
  const broken = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new TextEncoder().encode('{"status":"Pulling fs layer","id":"a"}{"sta')); c.close(); } });
  await readPullStream(broken, cut, () => {});
  assert.deepEqual(cut.state.outcome, { error: 'unexpected EOF' });
});
