import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJSONStream, displayJSONMessages, progressString, StreamError, type JSONMessage } from '../../core/cli/json-message.ts';

const pull: JSONMessage[] = [
  { status: 'Pulling from demo/busybox', id: 'latest' },
  { status: 'Pulling fs layer', progressDetail: {}, id: '6f032737caeb' },
  { status: 'Pulling fs layer', progressDetail: {}, id: '0123456789ab' },
  { status: 'Downloading', progressDetail: { current: 36445, total: 1088530 }, progress: '[=>   ]  36.45kB/1.089MB', id: '6f032737caeb' },
  { status: 'Verifying Checksum', progressDetail: {}, id: '6f032737caeb' },
  { status: 'Download complete', progressDetail: {}, id: '6f032737caeb' },
  { status: 'Extracting', progressDetail: { current: 32768, total: 1088530 }, progress: '[>  ]', id: '6f032737caeb' },
  { status: 'Pull complete', progressDetail: {}, id: '6f032737caeb' },
  { status: 'Already exists', progressDetail: {}, id: '0123456789ab' },
  { status: 'Digest: sha256:0d5d' },
  { status: 'Status: Downloaded newer image for 127.0.0.1:5002/demo/busybox:latest' },
];

function streamOf(messages: JSONMessage[], chunk = 7): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(messages.map((m) => JSON.stringify(m)).join('\r\n') + '\r\n');
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i >= bytes.length) { c.close(); return; }
      c.enqueue(bytes.slice(i, i + chunk));
      i += chunk;
    },
  });
}

async function render(messages: JSONMessage[], isTerminal: boolean, width = 80): Promise<string> {
  let out = '';
  await displayJSONMessages(streamOf(messages), async (s) => { out += s; }, { isTerminal, width });
  return out;
}

test('a pipe gets plain status lines and no progress, as docker pull | cat', async () => {
  assert.equal(await render(pull, false), [
    'latest: Pulling from demo/busybox',
    '6f032737caeb: Pulling fs layer',
    '0123456789ab: Pulling fs layer',
    '6f032737caeb: Verifying Checksum',
    '6f032737caeb: Download complete',
    '6f032737caeb: Pull complete',
    '0123456789ab: Already exists',
    'Digest: sha256:0d5d',
    'Status: Downloaded newer image for 127.0.0.1:5002/demo/busybox:latest',
    '',
  ].join('\n'));
});

test('a terminal gets one line per layer, redrawn in place', async () => {
  const up = (n: number) => `\x1b[${n}A`;
  const down = (n: number) => `\x1b[${n}B`;
  const cl = '\x1b[2K\r';
  const expected =
    'latest: Pulling from demo/busybox\n' +
    `\n${up(1)}${cl}6f032737caeb: Pulling fs layer \r${down(1)}` +
    `\n${up(1)}${cl}0123456789ab: Pulling fs layer \r${down(1)}` +
    `${up(2)}${cl}6f032737caeb: Downloading  36.45kB/1.089MB\r${down(2)}` +
    `${up(2)}${cl}6f032737caeb: Verifying Checksum \r${down(2)}` +
    `${up(2)}${cl}6f032737caeb: Download complete \r${down(2)}` +
    `${up(2)}${cl}6f032737caeb: Extracting  32.77kB/1.089MB\r${down(2)}` +
    `${up(2)}${cl}6f032737caeb: Pull complete \r${down(2)}` +
    `${up(1)}${cl}0123456789ab: Already exists \r${down(1)}` +
    'Digest: sha256:0d5d\n' +
    'Status: Downloaded newer image for 127.0.0.1:5002/demo/busybox:latest\n';
  assert.equal(await render(pull, true, 80), expected);
});

test('progress bars on wide terminals', () => {
  assert.equal(progressString({ current: 36445, total: 1088530 }, 200), `[=>${' '.repeat(49)}]  36.45kB/1.089MB`);
  assert.equal(progressString({ current: 1088530, total: 1088530 }, 200), `[${'='.repeat(50)}>]  1.089MB/1.089MB`);
  assert.equal(progressString({ current: 544265, total: 1088530 }, 80), ' 544.3kB/1.089MB');
  assert.equal(progressString({ current: 5000 }, 200), '     5kB');
  assert.equal(progressString({}, 200), '');
});

test('an error message ends the stream with its text', async () => {
  await assert.rejects(render([{ status: 'Pulling from x', id: 'latest' }, { error: 'manifest unknown', errorDetail: { message: 'manifest unknown' } }], false),
    (e: unknown) => e instanceof StreamError && e.message === 'manifest unknown');
});

test('aux messages go to the callback and are not printed', async () => {
  const aux: unknown[] = [];
  let out = '';
  await displayJSONMessages(streamOf([{ status: 'v1: digest: sha256:ab size: 735' }, { aux: { Tag: 'v1', Digest: 'sha256:ab', Size: 735 } }]), async (s) => { out += s; }, {
    isTerminal: false, onAux: (a) => aux.push(a),
  });
  assert.equal(out, 'v1: digest: sha256:ab size: 735\n');
  assert.deepEqual(aux, [{ Tag: 'v1', Digest: 'sha256:ab', Size: 735 }]);
});

test('the decoder splits concatenated JSON whatever the chunking', async () => {
  const got: JSONMessage[] = [];
  for await (const m of decodeJSONStream(streamOf([{ stream: 'a}{"' }, { status: 'b\\"' }], 3))) got.push(m);
  assert.deepEqual(got, [{ stream: 'a}{"' }, { status: 'b\\"' }]);
});
