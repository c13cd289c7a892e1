// Bad input in the playground, typed into its terminal in Debian's chromium as a user would: an
// unknown image, pulls that fail (Docker Hub out of reach, a registry that is down, one without
// CORS), wasm modules that trap, never end or grow past -m, a guest that crashes mid-container and
// an engine worker that dies. Each ends with a clear message and a command that shows the engine
// still works; a reload recovers. Chromium resolves no host name here (--host-resolver-rules), so
// Docker Hub is out of reach the way it is offline and no test traffic leaves loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserMissing, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { guestMissing, startPlayground, terminalLines, typeCommand, type RunningPlayground } from '../helpers/playground.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { freePort, waitFor } from '../helpers/ports.ts';
import { buildTestImage, pushTestImage } from '../helpers/test-image.ts';
import { probeFiles } from '../helpers/wasi.ts';
import { buildPlayground } from '../../scripts/build-playground.mjs';
import { serveRegistry, type Served } from '../../host-linux/registry/serve.ts';

const skip = browserMissing();
let dir: string;
let server: RunningPlayground;
let browser: TestBrowser;
let page: Page;
let included: string[] = [];
let corsRegistry: Served | undefined;
let plainRegistry: Served | undefined;
const registryRoots: string[] = [];
/** The probe module (test/fixtures/wasi/probe.c) as a wasi/wasm image in the CORS registry. */
let probe: string;

before(async () => {
  if (skip) return;
  dir = await tempDir('berth-playground-bad-');
  included = (await buildPlayground({ outDir: dir })).copied;
  server = await startPlayground(['--root', dir]);
  registryRoots.push(await tempDir('berth-bad-registry-'), await tempDir('berth-bad-registry-'));
  corsRegistry = await serveRegistry({ addr: '127.0.0.1:0', root: registryRoots[0]!, corsOrigins: [server.url] });
  plainRegistry = await serveRegistry({ addr: '127.0.0.1:0', root: registryRoots[1]! });
  const image = await buildTestImage({ os: 'wasi', architecture: 'wasm', cmd: ['/probe.wasm', 'args'], layers: [{ files: probeFiles() }] });
  await pushTestImage(corsRegistry.url, 'wasi/probe', 'v1', image);
  await pushTestImage(plainRegistry.url, 'wasi/probe', 'v1', image);
  probe = `${corsRegistry.url.replace('http://', '')}/wasi/probe:v1`;
  // No host name resolves: Docker Hub fails as it does offline, at once, and nothing leaves loopback.
  browser = await launchBrowser({ args: ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'] });
  page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') console.error(`page: ${m.text()}`); });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await corsRegistry?.close();
  await plainRegistry?.close();
  await removeDir(dir);
  for (const root of registryRoots) await removeDir(root);
});

const screen = () => terminalLines(page);
const run = (command: string, timeoutMs?: number) => typeCommand(page, command, timeoutMs);

function busy(): Promise<boolean> {
  return page.evaluate(() => document.querySelector('berth-playground')!.shell?.busy ?? true);
}

/** The exit status of the last command. */
function status(): Promise<number> {
  return page.evaluate(() => document.querySelector('berth-playground')!.shell!.status);
}

/** Types a command and waits until the terminal shows `line` while it still runs. */
async function start(command: string, line: RegExp, timeoutMs = 60_000): Promise<void> {
  const before = (await screen()).length;
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  await waitFor(`"${command}" to print ${line}`, async () => (await screen()).slice(before).some((l) => line.test(l)), timeoutMs);
  assert.ok(await busy(), `${command} ended: ${(await screen()).slice(-4).join('\n')}`);
}

/** The engine answers: the built-in images are listed. */
async function engineWorks(): Promise<void> {
  const out = await run('berth images --format "{{.Repository}}"');
  assert.ok(out.includes('busybox') || !included.includes('images'), out.join('\n'));
  assert.equal(await status(), 0, out.join('\n'));
}

async function load(): Promise<void> {
  await waitFor('the prompt', async () => (await screen()).at(-1) === '$');
  await page.locator('berth-terminal').click();
}

test('an unknown image: run and pull fail at once with one clear line, and the engine goes on', { skip }, async (t) => {
  await page.goto(`${server.url}/`);
  await load();
  const t0 = Date.now();
  const ran = await run('berth run nosuchimage');
  t.diagnostic(`berth run nosuchimage: ${Date.now() - t0} ms to the prompt`);
  assert.equal(ran[0], 'Unable to find image \'nosuchimage:latest\' locally');
  // docker's shape: the daemon's error, then the hint for the command
  assert.deepEqual(ran.slice(2), ['', 'Run \'berth run --help\' for more information'], ran.join('\n'));
  assert.match(ran[1]!, /^berth: Error response from daemon: Docker Hub is unreachable \(.*registry-1\.docker\.io.*\), and nosuchimage:latest is not one of berth's built-in images \(busybox, hello-world, hello-wasm\)/);
  assert.equal(await status(), 125);
  const pulled = await run('berth pull nosuchimage:1');
  assert.equal(pulled.length, 1, pulled.join('\n'));
  assert.match(pulled[0]!, /^Error response from daemon: Docker Hub is unreachable \(.*\), and nosuchimage:1 is not one of berth's built-in images/);
  assert.equal(await status(), 1);
  await engineWorks();
});

test('a pull from a registry that is down, and from one without CORS, says which', { skip }, async () => {
  const down = `127.0.0.1:${await freePort()}/demo/app:1`;
  const failed = (await run(`berth pull ${down}`)).join('\n');
  assert.match(failed, /^Error response from daemon: cannot reach registry 127\.0\.0\.1:\d+: .*the registry is down/);
  assert.equal(await status(), 1);
  const noCors = `${plainRegistry!.url.replace('http://', '')}/wasi/probe:v1`;
  const refused = (await run(`berth pull ${noCors}`)).join('\n');
  assert.match(refused, /^Error response from daemon: .*CORS/);
  assert.match(refused, new RegExp(server.url.replace(/[.:/]/g, '\\$&')), 'names the origin to allow');
  await engineWorks();
});

test('wasm: a trap exits 134 with the trap, --ulimit cpu=1 ends a loop with 152, -m caps memory', { skip }, async () => {
  assert.match((await run(`berth pull ${probe}`, 60_000)).join('\n'), /Status: Downloaded newer image/);
  const trap = await run(`berth run --rm ${probe} /probe.wasm trap`);
  assert.equal(await status(), 134);
  assert.equal(trap[0], 'before the trap');
  assert.match(trap.join('\n'), /wasm trap: unreachable/);
  const loop = await run(`berth run --rm --ulimit cpu=1 ${probe} /probe.wasm loop`);
  assert.equal(await status(), 152);
  assert.match(loop.join('\n'), /time limit \(--ulimit cpu=1\)/);
  const grow = await run(`berth run --rm -m 8m ${probe} /probe.wasm grow 32`);
  assert.equal(await status(), 3);
  assert.match(grow.join('\n'), /^allocated [0-7] MiB of 32$/m);
  await engineWorks();
});

test('wasm: a module that never ends stops with ctrl-c, and with berth kill', { skip }, async () => {
  const before = (await screen()).length;
  await start(`berth run --rm ${probe} /probe.wasm loop`, /^looping/);
  await page.keyboard.press('Control+C');
  await waitFor('the prompt after ^C', async () => !(await busy()) && (await screen()).at(-1) === '$', 30_000);
  assert.equal(await status(), 130, (await screen()).slice(before).join('\n'));
  assert.deepEqual(await run('berth ps -q'), []);
  assert.match((await run(`berth run -d --name endless ${probe} /probe.wasm loop`)).join('\n'), /^[0-9a-f]{64}$/);
  assert.deepEqual(await run('berth kill endless'), ['endless']);
  assert.deepEqual(await run('berth inspect -f "{{.State.Status}} {{.State.ExitCode}}" endless'), ['exited 137']);
  assert.deepEqual(await run('berth rm endless'), ['endless']);
  await engineWorks();
});

test('a guest that crashes mid-container: the container ends with 255 and why, the engine answers, the next container gets a new guest', { skip: skip || guestMissing }, async (t) => {
  assert.deepEqual(await run('berth run --rm busybox echo before', 120_000), ['before']);
  // An image with a layer the guest does not have yet: pushing it in makes the keeper save the guest's state again.
  assert.deepEqual(await run('berth run --name layered busybox sh -c "echo extra > /extra"', 120_000), []);
  assert.match((await run('berth commit layered crashy')).join('\n'), /^sha256:[0-9a-f]{64}$/);
  // sysrq c panics the guest's kernel, as a real crash would (--privileged: /proc/sysrq-trigger is writable).
  const crashed = await run('berth run --privileged --name crasher crashy sh -c "cat /extra; sleep 1; echo c > /proc/sysrq-trigger; sleep 60"', 120_000);
  // docker's answer when the wait reports an error: the error, and 125
  assert.equal(await status(), 125, crashed.join('\n'));
  const why = 'the browser guest crashed (Kernel panic - not syncing: sysrq triggered crash); the next Linux container boots a new one';
  // the page's notice and the command's error, in either order
  assert.deepEqual(crashed.filter((l) => l !== '').sort(), [`Error waiting for container: ${why}`, `berth: ${why}`, 'extra']);
  assert.equal(await page.locator('berth-status [data-part=vm]').innerText(), `VM: crashed — ${why}`);
  const ps = await run('berth ps -a --format "{{.Names}} {{.Status}}"');
  assert.ok(ps.some((l) => /^crasher Exited \(255\)/.test(l)), ps.join('\n'));
  assert.deepEqual(await run('berth inspect -f "{{.State.ExitCode}} {{.State.Error}}" crasher'), [`255 ${why}`]);
  // The keeper saves the guest a second after its last container ended: a crashed guest must not be
  // saved (the reload below would restore it). Give it the time to.
  await new Promise((r) => setTimeout(r, 2000));
  const t0 = Date.now();
  assert.deepEqual(await run('berth run --rm busybox echo after', 120_000), ['after']);
  t.diagnostic(`the first container after the crash (a new guest restored): ${Date.now() - t0} ms`);
  assert.match(await page.locator('berth-status [data-part=vm]').innerText(), /VM: running/);
  assert.deepEqual(await run('berth rm crasher layered'), ['crasher', 'layered']);
  // A crash under an interactive session: it ends, the terminal is cooked again and the next container runs.
  const before = (await screen()).length;
  await page.keyboard.type('berth run -it --rm --privileged busybox sh');
  await page.keyboard.press('Enter');
  await waitFor('the container\'s prompt', async () => /^\/ #$/.test((await screen()).at(-1) ?? ''), 120_000);
  await page.keyboard.type('echo c > /proc/sysrq-trigger');
  await page.keyboard.press('Enter');
  await waitFor('the session to end', async () => !(await busy()) && (await screen()).some((l, i) => i >= before && l === `berth: ${why}`), 60_000);
  // docker run --rm reports the exit code alone (255); the page's notice says why
  assert.equal(await status(), 255);
  assert.ok((await screen()).slice(before).includes(`berth: ${why}`), (await screen()).slice(before).join('\n'));
  assert.match((await run('help')).join('\n'), /^Commands:/, 'the shell takes commands again');
  assert.deepEqual(await run('berth run --rm busybox echo after the session', 120_000), ['after the session']);
});

test('the engine worker dies: the terminal and the status line say so, a new worker takes the next command', { skip }, async (t) => {
  const engineStatus = page.locator('berth-status [data-part=engine]');
  await waitFor('the engine to be ready', async () => /engine: ready/.test(await engineStatus.innerText()));
  // A command waiting on the engine when its worker is terminated (as the browser ends a crashed one).
  await start(`berth run --rm ${probe} /probe.wasm loop`, /^looping/);
  const t0 = Date.now();
  await page.evaluate(() => document.querySelector('berth-playground')!.engineWorker!.terminate());
  await waitFor('the command to end', async () => !(await busy()) && (await screen()).at(-1) === '$', 30_000);
  const said = (await screen()).slice(-4).join('\n');
  assert.match(said, /^berth: the berth engine stopped \(its worker ended\): a new engine worker takes the next command$/m);
  // Whichever request of the command meets the ended worker first (its output stream, or its wait), the command says
  // why, never "cannot connect".
  assert.match(said, /^(Error: |berth: )the berth engine stopped \(its worker ended\)/m);
  assert.doesNotMatch(said, /Cannot connect/);
  assert.equal(await status(), 125);
  await waitFor('the status line to show the new engine ready', async () => /engine: ready/.test(await engineStatus.innerText()))
    .catch(async (e) => { throw new Error(`${e.message}: ${await engineStatus.innerText()}`); });
  t.diagnostic(`worker terminated -> the new engine ready: ${Date.now() - t0} ms`);
  // The new worker found the container in the store; its module died with the old worker.
  await engineWorks();
  assert.deepEqual(await run('berth ps -q'), []);
  // Idle at the prompt: the notice comes above a new prompt that keeps what was typed.
  await page.keyboard.type('berth vers');
  await page.evaluate(() => document.querySelector('berth-playground')!.engineWorker!.terminate());
  await waitFor('the notice', async () => /^berth: the berth engine stopped \(its worker ended\)/.test((await screen()).at(-2) ?? ''), 30_000);
  assert.equal((await screen()).at(-1), '$ berth vers');
  const version = await run('ion --format "{{.Server.Version}}"');
  assert.match(version.join('\n'), /^\d+\.\d+\.\d+/);
});

test('an engine worker that cannot start: the status line and the first command say to reload', { skip }, async () => {
  // as a broken deploy would serve it
  const script = join(dir, 'engine-worker.js');
  const good = await readFile(script);
  await writeFile(script, 'throw new Error("broken engine build");\n');
  try {
    await page.reload();
    await load();
    const engineStatus = page.locator('berth-status [data-part=engine]');
    await waitFor('the status line to say the engine failed', async () => /engine: failed/.test(await engineStatus.innerText()));
    assert.match(await engineStatus.innerText(), /the berth engine stopped \(its worker failed to start: .*broken engine build.*\): reload the page/);
    const out = await run('berth images');
    assert.notEqual(await status(), 0);
    assert.match(out.join('\n'), /^Error response from daemon: the berth engine stopped \(its worker failed to start: .*\): reload the page to start it again$/);
  } finally {
    await writeFile(script, good);
  }
});

test('after a reload everything works: Linux and wasm containers, the images pulled before; containers left running have ended', { skip }, async () => {
  await page.reload();
  await load();
  // left running when the page goes: their processes go with it
  assert.match((await run(`berth run -d --name left-wasm ${probe} /probe.wasm loop`)).join('\n'), /^[0-9a-f]{64}$/);
  if (!guestMissing) assert.match((await run('berth run -d --name left-linux busybox sleep 1000', 120_000)).join('\n'), /^[0-9a-f]{64}$/);
  await page.reload();
  await load();
  assert.deepEqual(await run('berth inspect -f "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}" left-wasm'),
    ['exited 255 the engine that ran this wasm module stopped while it ran']);
  if (!guestMissing) {
    assert.deepEqual(await run('berth inspect -f "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}" left-linux'), ['exited 255 the browser guest was restarted']);
    assert.deepEqual(await run('berth rm left-linux'), ['left-linux']);
  }
  assert.deepEqual(await run('berth rm left-wasm'), ['left-wasm']);
  if (!guestMissing) {
    assert.deepEqual(await run('berth run --rm crashy cat /extra', 120_000), ['extra']);
    // the state saved before the crash, not the crashed guest
    assert.match(await page.locator('berth-status [data-part=vm]').innerText(), /VM: running — restored/);
  }
  assert.deepEqual(await run(`berth run --rm ${probe} /probe.wasm exit 0`), ['exiting with 0']);
  assert.match(await page.locator('berth-status [data-part=engine]').innerText(), /engine: ready/);
  await page.screenshot({ path: 'test-results/playground-bad-input.png' });
});
