// The guest state shipped with the playground (guest/state.bin.gz, saved by make-snapshot.ts): a first visit, in a
// fresh browser profile with nothing in OPFS, restores it as the worker starts instead of booting the guest, and
// its first busybox container needs no layer transfer; a page served without it does not boot the guest until a
// Linux container asks for one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserMissing, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startPlayground, type RunningPlayground } from '../helpers/playground.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/ports.ts';
import { REPO_ROOT } from '../helpers/registry.ts';
import { buildPlayground } from '../../scripts/build-playground.mjs';

const skip = browserMissing() || (existsSync(join(REPO_ROOT, 'build/guest/state.bin.gz')) ? false : 'no shipped guest state (bash host-browser/guest/build.sh)');
let withState: string;
let withoutState: string;
const servers: RunningPlayground[] = [];
const browsers: TestBrowser[] = [];

before(async () => {
  if (skip) return;
  withState = await tempDir('berth-shipped-state-');
  withoutState = await tempDir('berth-no-state-');
  await buildPlayground({ outDir: withState });
  await cp(withState, withoutState, { recursive: true });
  await rm(join(withoutState, 'guest/state.bin'));
  await rm(join(withoutState, 'guest/state.bin.gz'));
});

after(async () => {
  for (const b of browsers) await b.close();
  for (const s of servers) await s.stop();
  await removeDir(withState);
  await removeDir(withoutState);
});

/** A fresh profile on the playground served from `root`, with the VM's status details recorded as they change. */
async function open(root: string): Promise<Page> {
  const server = await startPlayground(['--root', root]);
  servers.push(server);
  const browser = await launchBrowser();
  browsers.push(browser);
  const page = await browser.context.newPage();
  await page.addInitScript(() => {
    const seen: string[] = [];
    (globalThis as unknown as { vmSeen: string[] }).vmSeen = seen;
    setInterval(() => {
      const status = document.querySelector('berth-playground')?.shadowRoot?.querySelector('berth-status') as (HTMLElement & { vm?: { state: string; detail?: string } }) | null | undefined;
      const v = status?.vm && `${status.vm.state}: ${status.vm.detail ?? ''}`;
      if (v && seen.at(-1) !== v) seen.push(v);
    }, 5);
  });
  await page.goto(`${server.url}/`);
  await waitFor('the prompt', async () => (await screen(page)).includes('$'));
  return page;
}

function screen(page: Page): Promise<string[]> {
  return page.evaluate(() => document.querySelector('berth-playground')!.screenLines());
}

async function run(page: Page, command: string, timeoutMs = 60_000): Promise<string[]> {
  const before = (await screen(page)).length;
  await page.evaluate((c) => { void document.querySelector('berth-playground')!.shell!.type(c); }, command);
  let lines: string[] = [];
  await waitFor(`"${command}" to finish`, async () => {
    lines = await screen(page);
    return lines.length > before && lines.at(-1) === '$' && !(await page.evaluate(() => document.querySelector('berth-playground')!.shell!.busy));
  }, timeoutMs);
  return lines.slice(before, -1);
}

const vmSeen = (page: Page) => page.evaluate(() => (globalThis as unknown as { vmSeen: string[] }).vmSeen);

test('a first visit restores the shipped guest state as the worker starts, and busybox runs from it', { skip }, async () => {
  const page = await open(withState);
  // restored before any Linux container asked for it
  await waitFor('the shipped state to be restored', async () => (await vmSeen(page)).includes('running: restored'), 60_000);
  assert.deepEqual(await run(page, 'berth run --rm busybox echo hello'), ['hello']);
  const seen = await vmSeen(page);
  assert.ok(seen.includes('booting: restoring the shipped guest'), seen.join(' | '));
  assert.ok(!seen.some((s) => /booted|booting the guest/.test(s)), `the guest was booted: ${seen.join(' | ')}`);
  // busybox's layer is in the shipped state: no push, so nothing new to save in OPFS either
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(!(await vmSeen(page)).includes('running: state saved with its layers'), (await vmSeen(page)).join(' | '));
});

test('served without the state, the guest waits for the first Linux container (a wasm container does not boot it)', { skip }, async () => {
  const page = await open(withoutState);
  const out = await run(page, 'berth run --rm hello-wasm');
  assert.ok(out.includes('Hello from WebAssembly!'), out.join('\n'));
  const seen = await vmSeen(page);
  assert.ok(seen.includes('idle: boots on the first Linux container'), seen.join(' | '));
  assert.ok(seen.every((s) => s.startsWith('idle:')), seen.join(' | '));
});
