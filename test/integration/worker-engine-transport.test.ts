// The comlink transport between a page and the engine worker, over a real MessageChannel (streams
// are transferred, not shared): request and answer bodies stream both ways as they are written, a
// hijacked connection keeps its half-close (stdin EOF while the output goes on), the client going
// away aborts the request's signal in the worker, and a failing handler is an answer, not a hang.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { exposeEngine } from '../../host-browser/worker/expose.ts';
import { connectEngine } from '../../host-browser/worker/client.ts';
import { hijackResponse, MULTIPLEXED_STREAM } from '../../core/api/hijack.ts';
import { collect } from '../../core/content/ingest.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function readAll(s: ReadableStream<Uint8Array>): Promise<string> {
  return dec.decode(await collect(s));
}

describe('engine transport over a MessageChannel', () => {
  const channel = new MessageChannel();
  let release: (() => void) | undefined;
  let aborted: Promise<void> | undefined;
  let hijackDone: Promise<string> | undefined;

  exposeEngine(async (req) => {
    const url = new URL(req.url);
    if (url.pathname === '/echo') return new Response(`${req.method} ${req.headers.get('x-test')} ${await req.text()}`);
    if (url.pathname === '/empty') return new Response(null, { status: 204 });
    if (url.pathname === '/stream') {
      let next: ReadableStreamDefaultController<Uint8Array>;
      release = () => { next.enqueue(enc.encode('second\n')); next.close(); };
      return new Response(new ReadableStream({ start(c) { next = c; c.enqueue(enc.encode('first\n')); } }));
    }
    if (url.pathname === '/forever') {
      aborted = new Promise((r) => req.signal.addEventListener('abort', () => r(), { once: true }));
      return new Response(new ReadableStream({ start(c) { c.enqueue(enc.encode('tick\n')); } }));
    }
    if (url.pathname === '/attach') {
      return hijackResponse(async ({ readable, writable }) => {
        const w = writable.getWriter();
        await w.write(enc.encode('hello\n'));
        hijackDone = readAll(readable);
        // the client's half-close ends its input; the answer to it still gets through
        const input = await hijackDone;
        await w.write(enc.encode(`got ${input.length} bytes: ${input.toUpperCase()}`));
        await w.close();
      }, MULTIPLEXED_STREAM);
    }
    throw new Error('handler failed on purpose');
  }, nodeEndpoint(channel.port1), () => {});
  const conn = connectEngine(nodeEndpoint(channel.port2));

  after(() => { channel.port1.close(); channel.port2.close(); });

  it('sends method, headers and body, and gets status and body back', async () => {
    const r = await conn.fetch('http://api.moby.localhost/echo', { method: 'POST', headers: { 'X-Test': 'yes' }, body: '{"a":1}' });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'POST yes {"a":1}');
    const e = await conn.fetch('http://api.moby.localhost/empty', { method: 'DELETE' });
    assert.equal(e.status, 204);
    assert.equal(e.body, null);
  });

  it('streams a request body and an answer as they are written', async () => {
    const parts = ['tar-', 'bytes-', 'here'];
    const body = new ReadableStream<Uint8Array>({ pull(c) { const p = parts.shift(); if (p) c.enqueue(enc.encode(p)); else c.close(); } });
    const r = await conn.fetch('http://api.moby.localhost/echo', { method: 'POST', body, duplex: 'half' } as RequestInit);
    assert.equal(await r.text(), 'POST null tar-bytes-here');

    const s = await conn.fetch('http://api.moby.localhost/stream');
    const reader = s.body!.getReader();
    // the first line arrives while the handler has not written the second yet
    assert.equal(dec.decode((await reader.read()).value), 'first\n');
    release!();
    assert.equal(dec.decode((await reader.read()).value), 'second\n');
    assert.equal((await reader.read()).done, true);
  });

  it('aborts the request in the worker when the client stops reading', async () => {
    const ac = new AbortController();
    const r = await conn.fetch('http://api.moby.localhost/forever', { signal: ac.signal });
    const reader = r.body!.getReader();
    assert.equal(dec.decode((await reader.read()).value), 'tick\n');
    ac.abort();
    await aborted;
    assert.equal((await reader.read()).done, true);
  });

  it('hands over a hijacked connection with its half-close', async () => {
    const { response, connection } = await conn.hijack('http://api.moby.localhost/attach', { method: 'POST', headers: {} });
    assert.ok(connection, 'the connection was not hijacked');
    assert.equal(response.headers.get('content-type'), MULTIPLEXED_STREAM);
    const out = connection.output.getReader();
    assert.equal(dec.decode((await out.read()).value), 'hello\n');
    await connection.write(enc.encode('stdin data'));
    await connection.closeWrite();
    assert.equal(await hijackDone, 'stdin data');
    let rest = '';
    for (;;) { const { done, value } = await out.read(); if (done) break; rest += dec.decode(value); }
    assert.equal(rest, 'got 10 bytes: STDIN DATA');
  });

  it('a hijacking route reached by a plain request answers with the raw stream as its body', async () => {
    const r = await conn.fetch('http://api.moby.localhost/attach', { method: 'POST' });
    assert.equal(await r.text(), 'hello\ngot 0 bytes: ');
  });

  it('a handler that throws rejects the request instead of hanging it', async () => {
    await assert.rejects(conn.fetch('http://api.moby.localhost/boom'), /handler failed on purpose/);
  });
});
