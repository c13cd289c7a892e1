// The playground in Debian's chromium: the page bundled as the set-up bundles it, served by
// `berth playground` on loopback, commands typed into the xterm terminal, what the terminal shows read back. A
// screenshot of the session goes to test-results/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { browserMissing, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { guestMissing, startPlayground, terminalLines, typeCommand, type RunningPlayground } from '../helpers/playground.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/ports.ts';
import { buildPlayground } from '../../scripts/build-playground.mjs';
import { serveRegistry, type Served } from '../../host-linux/registry/serve.ts';

const skip = browserMissing();
let dir: string;
let server: RunningPlayground;
let browser: TestBrowser;
let page: Page;
let included: string[] = [];
let registry: Served | undefined;
let registryRoot: string | undefined;

before(async () => {
  if (skip) return;
  dir = await tempDir('berth-playground-');
  included = (await buildPlayground({ outDir: dir })).copied;
  server = await startPlayground(['--root', dir]);
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'warning') console.error(`page: ${m.text()}`); });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await registry?.close();
  await removeDir(dir);
  await removeDir(registryRoot);
});

const screen = () => terminalLines(page);
const run = (command: string, timeoutMs?: number) => typeCommand(page, command, timeoutMs);

test('the page loads, the terminal takes commands and berth images lists the built-in images', { skip }, async () => {
  await page.goto(`${server.url}/`);
  await waitFor('the prompt', async () => (await screen()).some((l) => l === '$'));
  assert.match((await screen())[0]!, /berth playground/);
  await page.locator('berth-terminal').click();
  const out = await run('berth images');
  assert.match(out[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  if (included.includes('images')) {
    for (const name of ['busybox', 'hello-world', 'hello-wasm']) assert.ok(out.some((l) => l.startsWith(`${name} `)), `${name} in ${out.join('\n')}`);
  }
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'berth playground sends COOP and COEP');
  const engineStatus = page.locator('berth-status [data-part=engine]');
  await waitFor('the status line to show the engine ready', async () => /engine: ready/.test(await engineStatus.innerText()));
  await mkdir('test-results', { recursive: true });
  await page.screenshot({ path: 'test-results/playground.png' });
});

test('typing: history, a usage error, an unknown command', { skip }, async () => {
  await page.keyboard.press('ArrowUp');
  const again = await run('');
  assert.match(again[0]!, /^REPOSITORY/, 'up arrow and Enter ran berth images again');
  const bad = await run('docker run --bogus busybox');
  assert.match(bad.join('\n'), /unknown flag: --bogus/);
  assert.match((await run('vi')).join('\n'), /sh: vi: not found/);
  // A line longer than the terminal wraps; editing its start still shows (and runs) the right line.
  const long = `berth images${' --filter reference=hello-world'.repeat(4)} --format "{{.Repository}}"`;
  assert.ok(long.length > await page.evaluate(() => document.querySelector('berth-playground')!.shadowRoot!.querySelector('berth-terminal')!.terminal.cols));
  const before = (await screen()).length;
  await page.keyboard.type(`x${long}`);
  await page.keyboard.press('Home');
  await page.keyboard.press('Delete');
  const out = await run('');
  assert.deepEqual(out, ['hello-world']);
  assert.equal((await screen())[before - 1], `$ ${long}`);
});

test('ctrl-c ends a command that streams until interrupted, and the terminal goes on', { skip }, async () => {
  const before = (await screen()).length;
  await page.keyboard.type('berth events');
  await page.keyboard.press('Enter');
  await waitFor('events to run', async () => page.evaluate(() => document.querySelector('berth-playground')!.shell!.busy));
  await page.keyboard.press('Control+C');
  await waitFor('the prompt after ^C', async () => (await screen()).at(-1) === '$');
  assert.deepEqual((await screen()).slice(before - 1), ['$ berth events', '^C', '$']);
  assert.equal(await page.evaluate(() => document.querySelector('berth-playground')!.shell!.status), 130);
  assert.match((await run('berth images -q')).join('\n'), /^[0-9a-f]{12}/);
  // With text selected, ctrl-c copies it instead.
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await page.evaluate(() => document.querySelector('berth-playground')!.shadowRoot!.querySelector('berth-terminal')!.terminal.selectAll());
  const lines = (await screen()).length;
  await page.keyboard.press('Control+C');
  let copied = '';
  await waitFor('the selection in the clipboard', async () => {
    copied = await page.evaluate(() => navigator.clipboard.readText());
    return copied !== '';
  }, 5_000).catch(() => {});
  assert.match(copied, /berth playground[\s\S]*berth images -q/);
  assert.equal((await screen()).length, lines, 'no ^C, no new prompt');
});

test('WebAssembly containers: berth run --rm hello-wasm, and with -it (raw mode and back)', { skip }, async () => {
  const out = await run('berth run --rm hello-wasm');
  assert.ok(out.includes('Hello from WebAssembly!'), out.join('\n'));
  assert.equal(await page.evaluate(() => document.querySelector('berth-playground')!.shell!.status), 0);
  // With a TTY the terminal goes raw while attached; the output is the same lines, and the terminal is cooked after.
  const tty = await run('berth run -it --rm hello-wasm');
  assert.deepEqual(tty, out);
  assert.equal(await page.evaluate(() => document.querySelector('berth-playground')!.shell!.status), 0);
  assert.match((await run('berth images -q')).join('\n'), /^[0-9a-f]{12}/);
});

test('push to and pull from a registry on loopback; the status line follows the pull', { skip }, async () => {
  registryRoot = await tempDir('berth-playground-registry-');
  registry = await serveRegistry({ addr: '127.0.0.1:0', root: registryRoot, corsOrigins: [server.url] });
  const ref = `${registry.url.replace('http://', '')}/demo/hello:v1`;
  assert.deepEqual(await run(`berth tag hello-world ${ref}`), []);
  assert.match((await run(`berth push ${ref}`)).join('\n'), /v1: digest: sha256:[0-9a-f]{64} size: \d+/);
  assert.match((await run(`berth rmi ${ref}`)).join('\n'), /Untagged: /);
  const pulled = (await run(`berth pull ${ref}`)).join('\n');
  assert.match(pulled, /Status: Downloaded newer image for /);
  const pullStatus = page.locator('berth-status [data-part=pull]');
  assert.equal(await pullStatus.innerText(), `pulled ${ref}`);
  const failed = (await run(`berth pull ${ref.replace('hello:v1', 'nothing:v1')}`)).join('\n');
  assert.match(failed, /Error response from daemon: .*(not found|unknown)/i);
  assert.match(await pullStatus.innerText(), /^pull .*nothing:v1 failed/);
  await page.screenshot({ path: 'test-results/playground-pull.png' });
});

test('berth run --rm busybox echo hello prints hello from the v86 guest', { skip: skip || guestMissing }, async () => {
  const out = await run('berth run --rm busybox echo hello', 120_000);
  assert.deepEqual(out, ['hello']);
});

test('an interactive sh in busybox: raw mode, the answers of the shell, exit ends it', { skip: skip || guestMissing }, async () => {
  await page.keyboard.type('berth run -it --rm busybox sh');
  await page.keyboard.press('Enter');
  const busy = () => page.evaluate(() => document.querySelector('berth-playground')!.shell!.busy);
  await waitFor('the container\'s prompt', async () => /^\/ #$/.test((await screen()).at(-1) ?? '') || !(await busy()), 120_000);
  assert.ok(await busy(), `the run ended at once: ${(await screen()).slice(-4).join('\n')}`);
  await page.keyboard.type('echo $((6*7))');
  await page.keyboard.press('Enter');
  await waitFor('the answer', async () => (await screen()).includes('42'), 30_000);
  // The container's TTY has the terminal's size, and follows it when the page is resized.
  const size = () => page.evaluate(() => {
    const t = document.querySelector('berth-playground')!.shadowRoot!.querySelector('berth-terminal')!.terminal;
    return `${t.rows} ${t.cols}`;
  });
  const sttySize = async () => {
    await page.keyboard.type('stty size');
    await page.keyboard.press('Enter');
    let answer = '';
    await waitFor('stty size', async () => {
      const lines = await screen();
      const i = lines.lastIndexOf('/ # stty size');
      answer = i >= 0 && lines.length > i + 2 ? lines[i + 1]! : '';
      return !!answer;
    }, 30_000);
    return answer;
  };
  assert.equal(await sttySize(), await size());
  const was = await size();
  await page.setViewportSize({ width: 900, height: 500 });
  await waitFor('the terminal to be fitted to the smaller page', async () => (await size()) !== was);
  // The resize reaches the guest a moment later (an API request): ask until it has.
  await waitFor('the container\'s TTY to follow the resize', async () => (await sttySize()) === await size(), 30_000);
  await run('exit');
  assert.equal(await page.evaluate(() => document.querySelector('berth-playground')!.shell!.status), 0);
});

test('-i without a TTY: typed lines go to the container through the line discipline, ctrl-d ends its input', { skip: skip || guestMissing }, async () => {
  const before = (await screen()).length;
  await page.keyboard.type('berth run -i --rm busybox cat');
  await page.keyboard.press('Enter');
  await page.keyboard.type('one');
  await page.keyboard.press('Enter');
  await waitFor('cat to echo the line back', async () => (await screen()).filter((l) => l === 'one').length === 2, 60_000);
  await page.keyboard.type('two\x7f\x7fwo');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+D');
  await waitFor('cat to end', async () => (await screen()).at(-1) === '$', 60_000);
  // each line twice: the terminal's echo as typed, then cat's copy
  assert.deepEqual((await screen()).slice(before - 1), ['$ berth run -i --rm busybox cat', 'one', 'one', 'two', 'two', '$']);
  assert.equal(await page.evaluate(() => document.querySelector('berth-playground')!.shell!.status), 0);
});

test('after a reload the guest is restored from its saved state and runs containers again', { skip: skip || guestMissing }, async () => {
  await page.reload();
  await waitFor('the prompt', async () => (await screen()).at(-1) === '$');
  await page.locator('berth-terminal').click();
  assert.deepEqual(await run('berth run --rm busybox sh -c "echo $((6*7)) from $(uname -m)"', 120_000), ['42 from i686']);
  assert.match(await page.locator('berth-status [data-part=vm]').innerText(), /VM: running — restored/);
  // The shell's history came through the reload too.
  const history = (await run('history')).join('\n');
  assert.match(history, /\s1  berth images\n/);
  assert.match(history, /  berth run -i --rm busybox cat\n.*uname -m.*\n\s+\d+  history$/);
  await page.screenshot({ path: 'test-results/playground-guest.png' });
});
