// JSON message streams and progress strings as dockerd renders them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressBar, progressMessage, streamOrError, jsonStreamWriter } from '../../core/api/json-stream.ts';
import { BerthError } from '../../core/errors.ts';

test('progress bars match dockerd\'s 200-column rendering', () => {
  assert.equal(progressBar(36445, 1088530), `[=>${' '.repeat(49)}]  36.45kB/1.089MB`);
  assert.equal(progressBar(0, 1000), `[>${' '.repeat(50)}]       0B/1kB`);
  assert.equal(progressBar(1088530, 1088530), `[${'='.repeat(50)}>]  1.089MB/1.089MB`);
  assert.equal(progressBar(500, 0), '    500B');
  assert.equal(progressBar(0, 0), '');
  assert.deepEqual(progressMessage('Downloading', 'abc', 1, 2), { status: 'Downloading', progressDetail: { current: 1, total: 2 }, progress: `[=========================>${' '.repeat(25)}]       1B/2B`, id: 'abc' });
});

test('a failure before the first message is an error response, not a stream', async () => {
  await assert.rejects(streamOrError(async () => { throw new BerthError('not_found', 'manifest unknown'); }), /manifest unknown/);
});

test('messages stream as \\r\\n-separated JSON; a later failure becomes an error object', async () => {
  const res = await streamOrError(async (emit) => {
    emit({ status: 'Pulling from demo/x', id: 'latest' });
    throw new Error('layer broke');
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal(await res.text(), '{"status":"Pulling from demo/x","id":"latest"}\r\n{"error":"layer broke","errorDetail":{"message":"layer broke"}}\r\n');
});

test('a stream that ends without messages is an empty 200', async () => {
  const res = await streamOrError(async () => {});
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '');
});

test('a cancelled stream tells the writer, and later writes are dropped', async () => {
  const w = jsonStreamWriter();
  const reader = w.body.getReader();
  w.write({ status: 'a' });
  await reader.read();
  await reader.cancel();
  await w.cancelled;
  assert.equal(w.isCancelled, true);
  w.write({ status: 'b' });
  w.close();
});
