// The CLI's fetch to the daemon over a unix socket and over TCP: streamed request bodies go out
// chunked, streamed answers arrive as they are written, and HEAD/204 carry no body.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { daemonFetch } from '../../host-linux/http/unix-fetch.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

let dir: string;
let server: http.Server;
let tcp: http.Server;
let release: (() => void) | undefined;
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  const chunks: Buffer[] = [];
  req.on('data', (d: Buffer) => chunks.push(d));
  req.on('end', () => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
    if (req.url === '/_ping') { res.writeHead(200, { 'Api-Version': '1.47' }); res.end(req.method === 'HEAD' ? undefined : 'OK'); return; }
    if (req.url === '/empty') { res.writeHead(204); res.end(); return; }
    if (req.url === '/stream') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"status":"first"}\r\n');
      // The rest comes only after the client has seen the first line.
      release = () => res.end('{"status":"second"}\r\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`echo:${Buffer.concat(chunks).toString()}`);
  });
}

before(async () => {
  dir = await tempDir('berth-fetch-');
  server = http.createServer(handler);
  tcp = http.createServer(handler);
  await new Promise<void>((r) => server.listen(join(dir, 'd.sock'), r));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
});

after(async () => {
  server.closeAllConnections();
  tcp.closeAllConnections();
  await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => tcp.close(r))]);
  await removeDir(dir);
});

test('unix socket: ping, HEAD and 204 without bodies, fixed bodies with a length', async () => {
  const f = daemonFetch(`unix://${join(dir, 'd.sock')}`);
  const head = await f('http://api.moby.localhost/_ping', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('api-version'), '1.47');
  assert.equal(head.body, null);
  assert.equal((await f('http://api.moby.localhost/empty', { method: 'POST' })).status, 204);
  const r = await f('http://api.moby.localhost/v1.47/auth', { method: 'POST', body: '{"a":1}', headers: { 'Content-Type': 'application/json' } });
  assert.equal(await r.text(), 'echo:{"a":1}');
  const last = seen.at(-1)!;
  assert.equal(last.headers['content-length'], '7');
  assert.equal(last.headers.host, 'api.moby.localhost');
});

test('a streamed request body goes out chunked; a streamed answer arrives as written', async () => {
  const f = daemonFetch(`unix://${join(dir, 'd.sock')}`);
  const parts = ['tar-', 'bytes-', 'here'];
  const body = new ReadableStream<Uint8Array>({
    pull(c) { const p = parts.shift(); if (p) c.enqueue(new TextEncoder().encode(p)); else c.close(); },
  });
  const r = await f('http://api.moby.localhost/v1.47/images/load', { method: 'POST', body, duplex: 'half' } as RequestInit);
  assert.equal(await r.text(), 'echo:tar-bytes-here');
  assert.equal(seen.at(-1)!.headers['transfer-encoding'], 'chunked');

  const s = await f('http://api.moby.localhost/stream');
  const reader = s.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.equal(first, '{"status":"first"}\r\n');
  release!();
  let rest = '';
  for (;;) { const { done, value } = await reader.read(); if (done) break; rest += new TextDecoder().decode(value); }
  assert.equal(rest, '{"status":"second"}\r\n');
});

test('tcp:// addresses, and a refused connection rejects', async () => {
  const { port } = tcp.address() as { port: number };
  const f = daemonFetch(`tcp://127.0.0.1:${port}`);
  const r = await f('http://api.moby.localhost/v1.47/x', { method: 'POST', body: 'hi' });
  assert.equal(await r.text(), 'echo:hi');
  assert.equal(seen.at(-1)!.headers.host, `127.0.0.1:${port}`);
  await assert.rejects(daemonFetch(`unix://${join(dir, 'missing.sock')}`)('http://x/_ping'), /fetch failed/);
});
