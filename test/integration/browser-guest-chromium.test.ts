// The guest modules as a browser runs them: host-browser/vm and host-browser/runtime bundled by
// esbuild for the browser, loaded in Debian's chromium, boot the v86 guest, run a busybox linux/386
// container, save a gzip snapshot and restore from it (the playground's fast start).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { browserMissing, launchBrowser, serveDirectory, type StaticServer, type TestBrowser } from '../helpers/browser.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

const REPO = resolve(import.meta.dirname, '../..');
const GUEST = join(REPO, 'build/guest');
const IMAGES = join(REPO, 'build/images');
const skip = browserMissing()
  || (['bios.bin', 'vgabios.bin', 'vmlinuz', 'initrd.gz'].some((f) => !existsSync(join(GUEST, f))) ? `the v86 guest is not built in ${GUEST}: run bash host-browser/guest/build.sh` : false)
  || (!existsSync(join(IMAGES, 'index.json')) ? `the built-in images are not in ${IMAGES}: run scripts/setup.sh` : false);

// The page's code: fetches the guest and the image from the test server, nothing else.
const PAGE = `
import { GuestVM } from './host-browser/vm/guest-vm.ts';
import { GuestRuntime } from './host-browser/runtime/guest-runtime.ts';
import { newRecord } from './core/engine/containers/record.ts';

const bytes = async (u) => (await fetch(u)).arrayBuffer();
const json = async (d) => (await fetch('/images/blobs/' + d.replace(':', '/'))).json();
let state;

async function busybox386() {
  const index = await (await fetch('/images/index.json')).json();
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'docker.io/library/busybox:latest');
  const desc = (await json(entry.digest)).manifests.find((m) => m.platform.architecture === '386');
  const manifest = await json(desc.digest);
  const config = await json(manifest.config.digest);
  const blobs = new Map(config.rootfs.diff_ids.map((d, i) => [d, manifest.layers[i].digest]));
  return {
    image: { id: manifest.config.digest, config, diffIDs: config.rootfs.diff_ids },
    layers: { open: async (d) => (await fetch('/images/blobs/' + blobs.get(d).replace(':', '/'))).body },
  };
}

async function guestImages() {
  const [bios, vgaBios, kernel, initrd, wasm] = await Promise.all([
    bytes('/guest/bios.bin'), bytes('/guest/vgabios.bin'), bytes('/guest/vmlinuz'), bytes('/guest/initrd.gz'),
    WebAssembly.compileStreaming(fetch('/v86/v86.wasm')),
  ]);
  return { bios, vgaBios, kernel, initrd, wasm };
}

/** Runs echo; resolves with its output and when the first output byte arrived. */
async function echo(vm, bb, text, t0) {
  const rt = new GuestRuntime({ vm, layers: bb.layers });
  const rec = newRecord({ id: crypto.randomUUID().replaceAll('-', '').repeat(2), name: '/page', body: { Cmd: ['echo', text] }, image: bb.image, now: new Date() });
  const task = await rt.create(rec, bb.image, { stdin: false, stdinOnce: false, tty: false });
  const { readable } = await task.attach();
  const reader = readable.getReader();
  await task.start();
  let out = '', firstMs;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    firstMs ??= performance.now() - t0;
    out += new TextDecoder().decode(value.subarray(8));
  }
  const status = await task.wait();
  await rt.remove(rec);
  return { out, exitCode: status.exitCode, firstMs };
}

globalThis.coldBoot = async () => {
  const t0 = performance.now();
  const bb = await busybox386();
  const vm = await GuestVM.boot(await guestImages());
  const bootMs = performance.now() - t0;
  const r = await echo(vm, bb, 'cold', t0);
  state = await vm.saveState();
  await vm.destroy();
  return { ...r, bootMs, stateBytes: state.byteLength };
};

// The playground's first visit: a state saved by host-browser/guest/make-snapshot.ts under Node.
globalThis.fromSavedState = async () => {
  const t0 = performance.now();
  const bb = { ...(await busybox386()), layers: { open: async () => { throw new Error('no layer transfer expected'); } } };
  const saved = await (await fetch('/guest/state.bin.gz')).arrayBuffer();
  const vm = await GuestVM.boot({ ...(await guestImages()), state: saved });
  const restoreMs = performance.now() - t0;
  const r = await echo(vm, bb, 'saved', t0);
  await vm.destroy();
  return { ...r, restoreMs, restored: vm.restored, stateBytes: saved.byteLength };
};

globalThis.warmStart = async () => {
  const t0 = performance.now();
  const bb = await busybox386();
  const vm = await GuestVM.boot({ ...(await guestImages()), state });
  const restoreMs = performance.now() - t0;
  const r = await echo(vm, bb, 'warm', t0);
  await vm.destroy();
  return { ...r, restoreMs, restored: vm.restored };
};
`;

let browser: TestBrowser | undefined;
let server: StaticServer | undefined;
let dir: string | undefined;
let page: Page;

before(async () => {
  if (skip) return;
  dir = await tempDir('berth-guest-page-');
  const bundle = await build({
    stdin: { contents: PAGE, resolveDir: REPO, loader: 'ts', sourcefile: 'guest-page.ts' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'error',
    // libv86.mjs's Node-only branches (never taken in a browser)
    external: ['fs', 'node:fs/promises', 'perf_hooks', 'crypto', 'node:crypto'],
  });
  await writeFile(join(dir, 'page.js'), bundle.outputFiles[0]!.text);
  await writeFile(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>guest</title><script type="module" src="/page.js"></script>');
  server = await serveDirectory(dir, { '/guest/': GUEST, '/images/': IMAGES, '/v86/': join(REPO, 'node_modules/v86/build') });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => typeof (globalThis as Record<string, unknown>).warmStart === 'function');
});

after(async () => {
  await browser?.close();
  await server?.close();
  await removeDir(dir);
});

test('in chromium: cold boot runs a container, and a restored snapshot runs one fast', { skip, timeout: 600_000 }, async () => {
  const cold = await page.evaluate(() => (globalThis as unknown as { coldBoot: () => Promise<Record<string, number | string>> }).coldBoot());
  assert.equal(cold.out, 'cold\n');
  assert.equal(cold.exitCode, 0);
  const warm = await page.evaluate(() => (globalThis as unknown as { warmStart: () => Promise<Record<string, number | string | boolean>> }).warmStart());
  assert.equal(warm.restored, true);
  assert.equal(warm.out, 'warm\n');
  assert.equal(warm.exitCode, 0);
  const ms = (v: unknown) => Math.round(Number(v));
  console.log(`# chromium: cold boot ${ms(cold.bootMs)} ms, first output ${ms(cold.firstMs)} ms; snapshot ${(Number(cold.stateBytes) / 1048576).toFixed(1)} MiB gzip; restore ${ms(warm.restoreMs)} ms, first output ${ms(warm.firstMs)} ms`);
});

const savedState = join(GUEST, 'state.bin.gz');
test('in chromium: the state make-snapshot.ts saved under Node restores and runs busybox without a layer transfer', {
  skip: skip || (!existsSync(savedState) ? `${savedState} is missing: run node --import tsx host-browser/guest/make-snapshot.ts` : false), timeout: 300_000,
}, async () => {
  const r = await page.evaluate(() => (globalThis as unknown as { fromSavedState: () => Promise<Record<string, number | string | boolean>> }).fromSavedState());
  assert.equal(r.restored, true);
  assert.equal(r.out, 'saved\n');
  assert.equal(r.exitCode, 0);
  console.log(`# chromium, Node-made state (${(Number(r.stateBytes) / 1048576).toFixed(1)} MiB gzip): fetch + restore ${Math.round(Number(r.restoreMs))} ms, first output ${Math.round(Number(r.firstMs))} ms`);
});
