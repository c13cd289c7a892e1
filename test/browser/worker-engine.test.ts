// The engine worker in Debian's chromium: a test page starts the bundled worker and runs core's CLI
// over the comlink bridge. With no network, `berth images` lists the built-in images; a pull from
// a registry on loopback (CORS for the page's origin) and a push to it work from the page; after
// a reload the pulled image is still there, its metadata from IndexedDB and its blobs from OPFS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { BROWSER_BUILD, buildEngineWorker } from '../../scripts/build-browser.mjs';
import { browserMissing, launchBrowser, serveDirectory, type StaticServer, type TestBrowser } from '../helpers/browser.ts';
import { REPO_ROOT } from '../helpers/registry.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { serveRegistry, type Served } from '../../host-linux/registry/serve.ts';
import { builtinLayout } from '../../host-linux/daemon/builtin-layout.ts';
import { nodeCodecs, nodeHash } from '../../host-linux/services.ts';
import { openBuiltin } from '../../core/engine/builtin-images.ts';
import { platformImage } from '../../core/engine/platform-image.ts';
import { LINUX_386 } from '../../core/image/platform.ts';
import { RegistryClient } from '../../core/registry/client.ts';
import { pushImage } from '../../core/registry/push.ts';
import { parseReference } from '../../core/reference/reference.ts';
import type { CliRun } from '../../host-browser/worker/captured-cli.ts';
import type {} from './worker-engine.page.ts';

const IMAGES = join(REPO_ROOT, 'build/images');
const GUEST = join(REPO_ROOT, 'build/guest');
const noGuest = ['bios.bin', 'vgabios.bin', 'vmlinuz', 'initrd.gz'].some((f) => !existsSync(join(GUEST, f)))
  ? `the v86 guest is not built in ${GUEST} (bash host-browser/guest/build.sh)` : false;
const skip = browserMissing() || (existsSync(join(IMAGES, 'index.json')) ? false : 'no built-in images (./scripts/setup.sh builds them)');

/** Puts hello-world (linux/386) from the built-in layout into the registry under `name`, as a push would. */
async function seed(registry: Served, name: string): Promise<void> {
  const builtin = builtinLayout(IMAGES, nodeHash);
  const entry = (await builtin.list()).find((e) => e.ref.endsWith('/hello-world:latest'))!;
  const src = await platformImage(await openBuiltin(builtin, entry.descriptor, { codecs: nodeCodecs, hash: nodeHash }), LINUX_386);
  const client = new RegistryClient({ fetch: globalThis.fetch, hash: nodeHash, scheme: () => 'http' });
  await pushImage(client, parseReference(name), src.image);
}

describe('engine worker in chromium', { skip }, () => {
  let dir: string;
  let site: StaticServer;
  let registry: Served;
  let registryRoot: string;
  let browser: TestBrowser;
  let page: Page;
  let host: string;
  const errors: string[] = [];

  const berth = async (...argv: string[]): Promise<CliRun> => page.evaluate((a) => globalThis.berth(a), argv);

  async function open(): Promise<void> {
    // (no shipped state: the guest boots cold, so that saving and restoring its own state is tested)
    await page.goto(`${site.url}/?v86=/v86/v86.wasm&state=none`);
    await page.waitForFunction(() => typeof globalThis.berth === 'function');
  }

  before(async () => {
    dir = await tempDir('berth-worker-page-');
    await buildEngineWorker({ outfile: join(dir, 'engine-worker.js'), minify: false });
    await build({ ...BROWSER_BUILD, entryPoints: [join(import.meta.dirname, 'worker-engine.page.ts')], outfile: join(dir, 'page.js') });
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>berth engine worker</title><script type="module" src="page.js"></script>\n');
    // the built-in images where the worker looks for them: images/ next to it
    site = await serveDirectory(dir, { '/images/': IMAGES, '/guest/': GUEST, '/v86/': join(REPO_ROOT, 'node_modules/v86/build') });
    registryRoot = await tempDir('berth-worker-registry-');
    registry = await serveRegistry({ addr: '127.0.0.1:0', root: registryRoot, corsOrigins: [site.url] });
    host = registry.url.replace('http://', '');
    await seed(registry, `${host}/demo/hello:v1`);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    if (process.env.BERTH_TEST_CONSOLE) page.on('console', (m) => console.error(`[${m.type()}] ${m.text()}`));
    // (the console's own lines for 404s and refused CORS requests are the failures tests cause)
    page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource|CORS policy/.test(m.text())) errors.push(m.text()); });
    await open();
  });

  after(async () => {
    await browser?.close();
    await registry?.close();
    await site?.close();
    await removeDir(registryRoot);
    await removeDir(dir);
  });

  it('lists the built-in images with no network', async () => {
    const r = await berth('images', '--format', '{{.Repository}}:{{.Tag}}');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['busybox:latest', 'hello-wasm:latest', 'hello-world:latest']);
  });

  it('pulls from a registry on loopback that allows the page\'s origin', async () => {
    const name = `${host}/demo/hello:v1`;
    const r = await berth('pull', name);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(r.stdout, new RegExp(`Status: Downloaded newer image for ${name.replace(/[.]/g, '\\.')}`));
  });

  it('pushes to that registry from the page (CORS preflights for uploads)', async () => {
    const name = `${host}/demo/busybox:from-page`;
    assert.equal((await berth('tag', 'busybox', name)).exitCode, 0);
    const r = await berth('push', name);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /from-page: digest: sha256:[0-9a-f]{64} size: \d+/);
    const tags = await (await fetch(`${registry.url}/v2/demo/busybox/tags/list`)).json() as { tags: string[] };
    assert.deepEqual(tags.tags, ['from-page']);
  });

  it('keeps the pulled image across a reload (IndexedDB records, OPFS blobs)', async () => {
    await page.reload();
    await page.waitForFunction(() => typeof globalThis.berth === 'function');
    const r = await berth('images', '--format', '{{.Repository}}:{{.Tag}}');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(r.stdout.split('\n').includes(`${host}/demo/hello:v1`), r.stdout);
    // inspect reads the config blob back from OPFS (nothing is cached in a fresh worker)
    const i = await berth('image', 'inspect', '--format', '{{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}', `${host}/demo/hello:v1`);
    assert.equal(i.exitCode, 0, i.stderr);
    assert.equal(i.stdout.trim(), 'linux/386 1');
    const blobs = await page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      const dir = await (await (await root.getDirectoryHandle('berth')).getDirectoryHandle('content')).getDirectoryHandle('sha256');
      let n = 0;
      for await (const _ of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) n++;
      return n;
    });
    assert.ok(blobs >= 6, `only ${blobs} blobs in OPFS`);
  });

  it('runs a WebAssembly container in a worker of the engine worker', async () => {
    const r = await berth('run', '--rm', 'hello-wasm', 'from', 'chromium');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /Hello from WebAssembly!/);
    assert.match(r.stdout, /from chromium\n$/);
  });

  it('runs a Linux container in the v86 guest, booted on first use and restored from OPFS after a reload', { skip: noGuest, timeout: 600_000 }, async () => {
    let t0 = Date.now();
    const cold = await berth('run', '--rm', 'busybox', 'echo', 'hello from the guest');
    const coldMs = Date.now() - t0;
    assert.equal(cold.exitCode, 0, cold.stderr);
    assert.equal(cold.stdout, 'hello from the guest\n');
    const coldStatus = await page.evaluate(() => globalThis.vmStatus);
    assert.deepEqual(coldStatus.map((s) => s.state), ['idle', 'booting', 'booting', 'running']);
    assert.equal(coldStatus.at(-1)!.detail, 'booted');
    // once the container is gone, the guest is saved again with the busybox layer in it
    await page.waitForFunction(() => globalThis.vmStatus.some((s) => s.detail === 'state saved with its layers'), undefined, { timeout: 120_000 });

    t0 = Date.now();
    await page.reload();
    await page.waitForFunction(() => typeof globalThis.berth === 'function');
    const warm = await berth('run', '--rm', 'busybox', 'sh', '-c', 'echo $(( 6 * 7 )) from $(uname -m)');
    const warmMs = Date.now() - t0;
    const outputAt = await page.evaluate(() => Math.round(performance.now()));
    assert.equal(warm.exitCode, 0, warm.stderr);
    assert.equal(warm.stdout, '42 from i686\n');
    const warmStatus = await page.evaluate(() => globalThis.vmStatus);
    assert.ok(warmStatus.some((s) => s.detail === 'restored'), JSON.stringify(warmStatus));
    const restoredAt = warmStatus.find((s) => s.detail === 'restored')!.at;
    const exit = await berth('run', '--rm', 'busybox', 'sh', '-c', 'exit 3');
    assert.equal(exit.exitCode, 3);
    console.log(`# guest in the engine worker: cold boot + echo ${coldMs} ms; reload + restore + echo ${warmMs} ms ` +
      `(page load -> guest restored ${restoredAt} ms, -> echo's output ${outputAt} ms)`);
  });

  it('the OPFS content store and the IndexedDB metadata store keep their contract', async () => {
    const c = await page.evaluate(() => globalThis.storeChecks());
    // nothing unverified is ever stored under a digest, and no temporary file is left behind
    assert.match(c.badDigest.error, /digest mismatch: expected sha256:/);
    assert.deepEqual([c.badDigest.stored, c.badDigest.leftovers], [false, []]);
    assert.match(c.failedSource.error, /the network went away/);
    assert.deepEqual([c.failedSource.stored, c.failedSource.leftovers], [false, []]);
    // concurrent writes of one blob share one transfer
    assert.deepEqual(c.sharedWrite, { sizes: [11, 11], secondOpened: false });
    assert.deepEqual(c.good, { size: 11, text: 'hello, opfs', listed: true, streamed: 'hello, opfs' });
    assert.equal(c.ingest.digest, c.ingest.expected);
    // a blob changed behind the store's back is reported and removed, read whole or streamed
    assert.match(c.corrupted.error, /is corrupted in the content store .* it has been removed: pull or load the image again/);
    assert.equal(c.corrupted.storedAfter, false);
    assert.match(c.corrupted.streamError, /is corrupted in the content store/);
    assert.deepEqual(c.crashLeftover, { before: 1, after: 0 });
    assert.deepEqual(c.kv, { value: '{"v":2}', keys: ['images/a', 'images/b'], afterDelete: ['images/b', 'other/c'], copied: '{"v":1}' });
  });

  it('a pull that fails says why, and the engine goes on', async () => {
    // a registry that does not allow this page's origin is, to the page, a registry it cannot reach
    const other = await serveRegistry({ addr: '127.0.0.1:0', root: join(registryRoot, 'other') });
    try {
      const r = await berth('pull', `${other.url.replace('http://', '')}/demo/hello:v1`);
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /Error response from daemon: cannot reach registry .*Failed to fetch \(the registry is down, or it does not allow http:\/\/127\.0\.0\.1:\d+ with CORS\)/);
    } finally {
      await other.close();
    }
    const missing = await berth('pull', `${host}/demo/nothing:v1`);
    assert.notEqual(missing.exitCode, 0);
    assert.match(missing.stderr, /manifest unknown|not found/);
    assert.equal((await berth('images', '-q')).exitCode, 0);
    assert.deepEqual(errors, []);
  });
});
