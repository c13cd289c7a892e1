// docker build in the browser: the playground served by `berth playground`, a Dockerfile and a context
// file written in its terminal with the shell's `cat >`, `berth build -t demo .` run by the engine in
// the page's worker (RUN in the v86 guest), the image run, and a second build all cache hits. A
// screenshot of the session goes to test-results/playground-build.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { browserMissing, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { guestMissing, startPlayground, terminalLines, typeCommand, type RunningPlayground } from '../helpers/playground.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/ports.ts';
import { buildPlayground } from '../../scripts/build-playground.mjs';

const skip = browserMissing() || guestMissing;
let dir: string;
let server: RunningPlayground;
let browser: TestBrowser;
let page: Page;

before(async () => {
  if (skip) return;
  dir = await tempDir('berth-playground-build-');
  await buildPlayground({ outDir: dir });
  server = await startPlayground(['--root', dir]);
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${server.url}/`);
  await waitFor('the prompt', async () => (await terminalLines(page)).some((l) => l === '$'));
  await page.locator('berth-terminal').click();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await removeDir(dir);
});

const run = (command: string, timeoutMs?: number) => typeCommand(page, command, timeoutMs);
const status = () => page.evaluate(() => document.querySelector('berth-playground')!.shell!.status);

const DOCKERFILE = [
  'FROM busybox',
  'ENV GREETING="hello from ENV"',
  'COPY msg.txt /app/',
  'RUN echo "written by RUN" > /app/run.txt && rm /bin/vi',
  'CMD ["sh", "-c", "cat /app/msg.txt /app/run.txt; echo $GREETING; ls /bin/vi"]',
];

test('a Dockerfile written in the terminal builds in the page: RUN in the guest, COPY from the context, ENV and CMD', { skip }, async () => {
  assert.deepEqual(await run('cat > msg.txt\nhello from the context\nEOF'), ['> hello from the context', '> EOF']);
  await run(`cat > Dockerfile <<'END'\n${DOCKERFILE.join('\n')}\nEND`);
  assert.deepEqual(await run('ls'), ['Dockerfile', 'msg.txt']);
  assert.deepEqual(await run('cat Dockerfile'), DOCKERFILE);

  const built = (await run('berth build -t demo .', 240_000)).join('\n');
  assert.equal(await status(), 0, built);
  assert.match(built, /Step 4\/5 : RUN echo "written by RUN"/);
  assert.match(built, /Successfully tagged demo:latest/);

  // The RUN step's layer committed: its new file, and its deletion as a whiteout.
  const out = await run('berth run --rm demo', 120_000);
  assert.deepEqual(out, ['hello from the context', 'written by RUN', 'hello from ENV', 'ls: /bin/vi: No such file or directory']);
  const history = (await run('berth history --no-trunc --format "{{.CreatedBy}}" demo')).join('\n');
  assert.match(history, /COPY file:[0-9a-f]+ in \/app\//);
  assert.match(history, /echo "written by RUN"/);
});

test('the same build again is all cache hits, and a changed context file rebuilds from its COPY on', { skip }, async () => {
  const again = (await run('berth build --progress=plain -t demo .', 120_000)).join('\n');
  assert.equal(await status(), 0, again);
  assert.equal(again.match(/---> Using cache/g)?.length, 4, again);

  await run('cat > msg.txt\nchanged context\nEOF');
  const changed = (await run('berth build --progress=plain -t demo .', 240_000)).join('\n');
  assert.equal(changed.match(/---> Using cache/g)?.length, 1, 'only ENV comes from the cache');
  assert.deepEqual((await run('berth run --rm demo', 120_000)).slice(0, 2), ['changed context', 'written by RUN']);
  await mkdir('test-results', { recursive: true });
  await page.screenshot({ path: 'test-results/playground-build.png' });
});

test('what the browser host cannot do is a clear error: RUN cache mounts', { skip }, async () => {
  await run("cat > Dockerfile.cache <<'END'\nFROM busybox\nRUN --mount=type=cache,target=/cache touch /cache/x\nEND");
  const out = (await run('berth build -f Dockerfile.cache .', 120_000)).join('\n');
  assert.match(out, /RUN --mount=type=cache is not supported on this host/);
  assert.equal(await status(), 1);
});

test('multi-stage: COPY --from a stage whose RUN layer came from the guest, --chown by a name its files define', { skip }, async () => {
  await run([
    "cat > Dockerfile.stages <<'END'",
    'FROM busybox AS build',
    'RUN mkdir /out && echo "from the build stage" > /out/result && echo "learner:x:1234:1234::/:/bin/sh" >> /etc/passwd && echo "learner:x:1234:" >> /etc/group',
    'FROM busybox',
    'COPY --from=build /etc/passwd /etc/group /etc/',
    'COPY --from=build --chown=learner /out/result /result',
    'CMD ["sh", "-c", "cat /result; ls -ln /result"]',
    'END',
  ].join('\n'));
  const built = (await run('berth build --progress=plain -f Dockerfile.stages -t stages .', 240_000)).join('\n');
  assert.equal(await status(), 0, built);
  const out = await run('berth run --rm stages', 120_000);
  assert.equal(out[0], 'from the build stage');
  assert.match(out[1]!, /^-rw-r--r--\s+1 1234\s+1234\s/, out.join('\n'));
});

test('ADD of a URL: fetched by the worker (here the page\'s own origin, so no CORS is needed)', { skip }, async () => {
  await run(`cat > Dockerfile.add <<'END'\nFROM busybox\nADD ${server.url}/index.html /page.html\nCMD ["cat", "/page.html"]\nEND`);
  const built = (await run('berth build --progress=plain -f Dockerfile.add -t added .', 120_000)).join('\n');
  assert.equal(await status(), 0, built);
  assert.match((await run('berth run --rm added', 120_000)).join('\n'), /<title>berth playground<\/title>/);
});
