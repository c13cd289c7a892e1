// `berth playground`: serves the built playground on loopback with the types, encodings and
// headers browsers need, and fails clearly when the build is missing or the port is taken.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { playgroundOnce, startPlayground, type RunningPlayground } from '../helpers/playground.ts';

let root: string;
let pg: RunningPlayground;
const wasm = new Uint8Array(64 * 1024).fill(7);
wasm.set([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

before(async () => {
  // A small site shaped like build/playground: the page, a wasm file with its precompressed copy, a sub-directory.
  root = await tempDir('berth-pg-site-');
  await writeFile(join(root, 'index.html'), '<!doctype html><title>berth playground</title>');
  await writeFile(join(root, 'v86.wasm'), wasm);
  await writeFile(join(root, 'v86.wasm.gz'), gzipSync(wasm));
  await mkdir(join(root, 'images'));
  await writeFile(join(root, 'images', 'index.json'), '{"schemaVersion":2}');
  pg = await startPlayground(['--root', root]);
});

after(async () => {
  await pg?.stop();
  await removeDir(root);
});

test('the page and its assets come with the right types, gzip when asked, isolation headers, revalidation', async () => {
  assert.match(pg.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const page = await fetch(`${pg.url}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.match(await page.text(), /berth playground/);

  // Node's fetch asks for gzip and unpacks it; the raw bytes show what was sent.
  const gz = await fetch(`${pg.url}/v86.wasm`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(gz.headers.get('content-type'), 'application/wasm');
  assert.equal(gz.headers.get('content-encoding'), 'gzip');
  assert.deepEqual(new Uint8Array(await gz.arrayBuffer()), wasm);
  const plain = await fetch(`${pg.url}/v86.wasm`, { headers: { 'accept-encoding': 'identity' } });
  assert.equal(plain.headers.get('content-encoding'), null);
  assert.equal(plain.headers.get('content-length'), String(wasm.length));
  assert.deepEqual(new Uint8Array(await plain.arrayBuffer()), wasm);

  const etag = plain.headers.get('etag')!;
  const again = await fetch(`${pg.url}/v86.wasm`, { headers: { 'accept-encoding': 'identity', 'if-none-match': etag } });
  assert.equal(again.status, 304);

  assert.equal((await fetch(`${pg.url}/images/index.json`)).headers.get('content-type'), 'application/json');
  const dir = await fetch(`${pg.url}/images`, { redirect: 'manual' });
  assert.equal(dir.status, 404, 'a directory without index.html is not listed');
});

test('nothing outside the playground is served; only GET and HEAD', async () => {
  for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc/passwd', '/nope.js']) {
    const res = await fetch(`${pg.url}${path}`);
    assert.equal(res.status, 404, path);
    assert.doesNotMatch(await res.text(), /root:/);
  }
  const post = await fetch(`${pg.url}/`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  const head = await fetch(`${pg.url}/index.html`, { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('a missing build, a taken port and a bad port are clear errors', async () => {
  const empty = await tempDir('berth-pg-empty-');
  try {
    const missing = await playgroundOnce(['--root', empty, '--port', '0']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /the playground is not built .*run \.\/scripts\/setup\.sh/);
  } finally {
    await removeDir(empty);
  }
  const port = Number(new URL(pg.url).port);
  const taken = await playgroundOnce(['--root', root, '--port', String(port)]);
  assert.equal(taken.code, 1);
  assert.equal(taken.stderr, `cannot serve the playground on 127.0.0.1:${port}: the address is already in use (choose another with --port)\n`);
  const bad = await playgroundOnce(['--root', root, '--port', '80000']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /invalid --port "80000"/);
  // The server still answers after the failed attempts.
  assert.equal((await fetch(`${pg.url}/`)).status, 200);
});
