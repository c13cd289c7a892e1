// The CLI's side of attached stdio: docker's multiplexed frames split back into stdout and
// stderr, detach keys as moby/term reads them, and the escape proxy on stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demultiplex, StreamSystemError } from '../../core/cli/stdcopy.ts';
import { detachKeyBytes, EscapeProxy } from '../../core/cli/detach-keys.ts';
import { splitCpArg } from '../../core/cli/commands/cp.ts';
import { displayablePorts } from '../../core/cli/commands/ps.ts';
import { apiTimestamp } from '../../core/cli/commands/logs.ts';

function frame(stream: number, text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const f = new Uint8Array(8 + payload.length);
  f[0] = stream;
  new DataView(f.buffer).setUint32(4, payload.length);
  f.set(payload, 8);
  return f;
}

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({ pull(c) { if (i >= bytes.length) c.close(); else { c.enqueue(bytes.slice(i, i + size)); i += size; } } });
}

test('frames split across reads are reassembled per stream', async () => {
  const all = new Uint8Array([...frame(1, 'out12\n'), ...frame(2, 'err12\n'), ...frame(1, ''), ...frame(1, 'x'.repeat(70000))]);
  for (const size of [1, 3, 8, 9, 4096]) {
    let out = '';
    let err = '';
    await demultiplex(chunked(all, size), async (d) => { out += new TextDecoder().decode(d); }, async (d) => { err += new TextDecoder().decode(d); });
    assert.equal(out, 'out12\n' + 'x'.repeat(70000));
    assert.equal(err, 'err12\n');
  }
  await assert.rejects(() => demultiplex(chunked(frame(3, 'boom'), 64), async () => {}, async () => {}), StreamSystemError);
});

test('detach keys: ctrl- names, single characters, errors', () => {
  assert.deepEqual(detachKeyBytes('ctrl-p,ctrl-q'), [16, 17]);
  assert.deepEqual(detachKeyBytes('a,ctrl-@,ctrl-[,ctrl-_'), [97, 0, 27, 31]);
  assert.throws(() => detachKeyBytes('ctrl-1'), /Unknown character: 'ctrl-1'/);
  assert.throws(() => detachKeyBytes('abc'), /Unknown character: 'abc'/);
});

test('escape proxy holds back a partial sequence and lets it through when it breaks', () => {
  const p = new EscapeProxy([16, 17]);
  assert.deepEqual(p.feed(new Uint8Array([65, 16])), { data: new Uint8Array([65]), detached: false });
  assert.deepEqual(p.feed(new Uint8Array([66])), { data: new Uint8Array([16, 66]), detached: false });
  assert.deepEqual(p.feed(new Uint8Array([16, 16])), { data: new Uint8Array([16]), detached: false });
  assert.deepEqual(p.feed(new Uint8Array([17, 99])), { data: new Uint8Array([]), detached: true });
});

test('cp arguments, ps ports, logs timestamps', () => {
  assert.deepEqual(splitCpArg('web:/etc/hosts'), ['web', '/etc/hosts']);
  assert.deepEqual(splitCpArg('/tmp/a:b'), [undefined, '/tmp/a:b']);
  assert.deepEqual(splitCpArg('./c:d'), [undefined, './c:d']);
  assert.equal(displayablePorts([
    { PrivatePort: 80, Type: 'tcp' }, { PrivatePort: 81, Type: 'tcp' }, { PrivatePort: 53, Type: 'udp' },
    { IP: '127.0.0.1', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' }, { IP: '0.0.0.0', PrivatePort: 22, PublicPort: 22, Type: 'tcp' },
  ]), '0.0.0.0:22->22/tcp, 53/udp, 80-81/tcp, 127.0.0.1:8443->443/tcp');
  const now = new Date('2026-01-01T00:10:00Z');
  assert.equal(apiTimestamp('10m', now), String(Date.parse('2026-01-01T00:00:00Z') / 1000));
  assert.equal(apiTimestamp('2026-01-01T00:00:01.5Z', now), `${Date.parse('2026-01-01T00:00:01Z') / 1000}.500000000`);
  assert.equal(apiTimestamp('1700000000', now), '1700000000');
});
