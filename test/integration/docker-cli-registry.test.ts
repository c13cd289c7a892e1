// berthd and registries: logins (Basic and Bearer), the raw pull stream, and a registry that
// serves corrupt content (the pull fails and the store is left as it was).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushTestImage } from '../helpers/test-image.ts';
import { tempDir, removeDir } from '../helpers/tmp.ts';

const USER = { username: 'tester', password: 's3cret-pw' };
let daemon: TestDaemon;
let open: TestRegistry;
let basic: TestRegistry;
let bearer: TestRegistry;

function authHeader(): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}` };
}

async function pushWithAuth(reg: TestRegistry, repo: string, tag: string, image: Awaited<ReturnType<typeof buildTestImage>>): Promise<void> {
  // The test helper pushes anonymously; this registry wants Basic credentials on every request.
  const orig = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => orig(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...authHeader() } })) as typeof fetch;
  try { await pushTestImage(reg.url, repo, tag, image); } finally { globalThis.fetch = orig; }
}

before(async () => {
  [daemon, open, basic, bearer] = await Promise.all([
    startBerthd(),
    startRegistry({ impl: 'cncf' }),
    startRegistry({ impl: 'cncf', auth: USER }),
    startRegistry({ impl: 'berth', auth: { ...USER, scheme: 'bearer' } }),
  ]);
});
after(async () => { await Promise.all([daemon?.cleanup(), open?.stop(), basic?.stop(), bearer?.stop()]); });

describe('berthd with registries', () => {
  test('the raw pull stream has dockerd\'s per-layer messages in order', async () => {
    const img = await buildTestImage({ layers: [{ files: { 'big.bin': 'x'.repeat(300_000) }, compression: 'none' }] });
    await pushTestImage(open.url, 'raw/one', 'latest', img);
    const r = await daemon.request('POST', `/v1.47/images/create?fromImage=${encodeURIComponent(`${open.host}/raw/one`)}&tag=latest`, undefined, { 'x-registry-auth': 'e30=' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    const msgs = r.body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as { status: string; id?: string; progressDetail?: { current?: number; total?: number }; progress?: string });
    const id = img.layers[0]!.digest.slice(7, 19);
    const statuses = msgs.filter((m) => m.id === id).map((m) => m.status);
    const order = ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete'];
    let at = -1;
    for (const s of order) {
      const i = statuses.indexOf(s, at + 1);
      assert.ok(i > at, `${s} after ${order[order.indexOf(s) - 1]}: ${statuses.join(', ')}`);
      at = i;
    }
    const lastDownload = msgs.filter((m) => m.status === 'Downloading').pop()!;
    assert.deepEqual(lastDownload.progressDetail, { current: img.layers[0]!.size, total: img.layers[0]!.size });
    assert.match(lastDownload.progress!, /^\[=+>\]\s+\d+(\.\d+)?kB\/\d+(\.\d+)?kB$/);
    assert.deepEqual(msgs[0], { status: 'Pulling from raw/one', id: 'latest' });
    assert.equal(msgs[msgs.length - 1]!.status, `Status: Downloaded newer image for ${open.host}/raw/one:latest`);
  });

  test('a corrupt layer fails the pull and leaves images and unpacked layers as they were', async () => {
    const img = await buildTestImage({ layers: [{ files: { 'ok.txt': 'fine' } }, { files: { 'bad.txt': 'soon corrupt'.repeat(100) } }] });
    await pushTestImage(open.url, 'raw/corrupt', 'latest', img);
    const bad = img.layers[1]!.digest.slice(7);
    await writeFile(join(open.root, 'data/docker/registry/v2/blobs/sha256', bad.slice(0, 2), bad, 'data'), Buffer.alloc(img.layers[1]!.size, 7));
    const imagesBefore = (await daemon.docker(['images', '-q', '--no-trunc'])).stdout;
    const layerDirs = async () => (await readdir(join(daemon.dataRoot, 'snapshots'))).filter((n) => /^[0-9a-f]{64}$/.test(n));
    const snapshotsBefore = await layerDirs();
    const r = await daemon.docker(['pull', `${open.host}/raw/corrupt`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /digest|mismatch|verif/i);
    assert.equal((await daemon.docker(['images', '-q', '--no-trunc'])).stdout, imagesBefore);
    const inspect = await daemon.docker(['image', 'inspect', `${open.host}/raw/corrupt`]);
    assert.equal(inspect.code, 1);
    const snapshotsAfter = await layerDirs();
    assert.ok(!snapshotsAfter.includes(img.layers[1]!.diffID.slice(7)), 'the corrupt layer was not unpacked');
    assert.ok(snapshotsAfter.length <= snapshotsBefore.length + 1);
  });

  test('docker login checks credentials with the registry (Basic)', async () => {
    const cfg = await tempDir();
    try {
      const ok = await daemon.docker(['login', basic.host, '-u', USER.username, '--password-stdin'], { input: USER.password, configDir: cfg });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /Login Succeeded/);
      const wrong = await daemon.docker(['login', basic.host, '-u', USER.username, '--password-stdin'], { input: 'nope', configDir: cfg });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /Error response from daemon: .*(401|unauthorized|Unauthorized)/);

      const img = await buildTestImage({ layers: [{ files: { 'secret.txt': 'members only' } }] });
      await pushWithAuth(basic, 'private/app', 'latest', img);
      const anon = await daemon.docker(['pull', `${basic.host}/private/app`]);
      assert.equal(anon.code, 1);
      assert.match(anon.stderr, /pull access denied for 127\.0\.0\.1:\d+\/private\/app, repository does not exist or may require 'docker login'/);
      const pulled = await daemon.docker(['pull', `${basic.host}/private/app`], { configDir: cfg });
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.equal((await daemon.docker(['tag', `${basic.host}/private/app`, `${basic.host}/private/copy:1`])).code, 0);
      const pushed = await daemon.docker(['push', `${basic.host}/private/copy:1`], { configDir: cfg });
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.match(pushed.stdout, new RegExp(`1: digest: ${img.digest}`));
    } finally {
      await removeDir(cfg);
    }
  });

  test('docker login against a registry with a Bearer token server', async () => {
    const cfg = await tempDir();
    try {
      const ok = await daemon.docker(['login', bearer.host, '-u', USER.username, '--password-stdin'], { input: USER.password, configDir: cfg });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /Login Succeeded/);
      const wrong = await daemon.docker(['login', bearer.host, '-u', 'someone', '--password-stdin'], { input: 'else', configDir: cfg });
      assert.equal(wrong.code, 1);
    } finally {
      await removeDir(cfg);
    }
  });
});
