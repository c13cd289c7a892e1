// `berth build` side by side with `DOCKER_BUILDKIT=0 docker build` on the same contexts, against a real
// dockerd and against berthd: the same output (IDs aside where the build is not cached), the same exit
// code and stderr for a failing RUN, -q, --iidfile, a Dockerfile outside the context or on stdin, a
// context on stdin; and the contexts are the same: a build by one client is all cache hits for the other.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { dockerdMissing, importBusybox, startDockerd, type TestDockerd } from '../helpers/dockerd.ts';
import { containersMissing, startContainerDaemon } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';
import { docker, runCommand, type RunResult } from '../helpers/docker-cli.ts';
import { bundleBerthCli } from '../helpers/berth-cli.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

let dir: string;
let bundle: string;
let configDir: string;
let n = 0;

before(async () => {
  dir = await tempDir('cli-build-');
  bundle = join(dir, 'berth.mjs');
  configDir = join(dir, 'config');
  await mkdir(configDir);
  await bundleBerthCli(bundle);
});
after(async () => { await removeDir(dir); });

function env(host: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: host, DOCKER_CONFIG: configDir, DOCKER_CLI_HINTS: 'false', DOCKER_BUILDKIT: '0', TZ: 'UTC' };
}

const berth = (host: string, args: string[], input?: string | Uint8Array): Promise<RunResult> =>
  runCommand(process.execPath, [bundle, ...args], { env: env(host), timeoutMs: 120_000, ...(input !== undefined ? { input } : {}) });

/** docker's stderr without the legacy builder's deprecation notice, and `docker` named `berth`. */
async function dockerCli(host: string, args: string[], input?: string | Uint8Array): Promise<RunResult> {
  const r = await docker(host, args, { configDir, env: { DOCKER_BUILDKIT: '0', TZ: 'UTC' }, timeoutMs: 120_000, ...(input !== undefined ? { input } : {}) });
  const stderr = r.stderr.replace(/^DEPRECATED: The legacy builder[^]*?environment-variable\.\n\n/, '');
  return { ...r, stderr: stderr.replace(/(?<![\w.-])docker(?![\w.-])/g, 'berth') };
}

/** Container and uncached image IDs differ between two builds; the text around them may not. */
const ids = (s: string) => s.replace(/\b[0-9a-f]{12}\b/g, '<id>');

/** A new context directory with these files. */
async function context(files: Record<string, string>): Promise<string> {
  const ctx = join(dir, `ctx${n++}`);
  await mkdir(ctx, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    await mkdir(join(ctx, name, '..'), { recursive: true });
    await writeFile(join(ctx, name), data);
  }
  return ctx;
}

function clientTests(name: string, start: () => Promise<{ host: string; cleanup(): Promise<void> }>, skip: string | false): void {
  describe(`berth build and docker build against ${name}`, { skip }, () => {
    let host: string;
    let stop: (() => Promise<void>) | undefined;
    before(async () => {
      const d = await start();
      host = d.host;
      stop = () => d.cleanup();
    });
    after(async () => { await stop?.(); });

    test('the same output uncached (IDs aside), then the same bytes from the cache', async () => {
      const ctx = await context({
        // Only stdout: how a daemon interleaves a RUN's stdout and stderr varies from run to run.
        'Dockerfile': 'FROM busybox\nRUN echo hello && echo world\nENV A=b\nCOPY . /ctx\nLABEL x=y\n',
        'file.txt': 'hi\n', 'sub/f': 'f\n', 'ignored.log': 'no\n', '.dockerignore': '*.log\n',
      });
      const b = await berth(host, ['build', '--no-cache', '-t', 'cli-build-b', ctx]);
      const d = await dockerCli(host, ['build', '--no-cache', '-t', 'cli-build-d', ctx]);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(d.code, 0, d.stderr);
      assert.equal(ids(b.stdout), ids(d.stdout).replace('cli-build-d', 'cli-build-b'));
      assert.equal(b.stderr, d.stderr);
      assert.match(b.stdout, /^Sending build context to Docker daemon {2}\d+(\.\d+)?kB\r\r\nStep 1\/5 : FROM busybox\n/);
      // Built again, each is all cache hits from the last build: the very same bytes, image IDs included.
      const b2 = await berth(host, ['build', '-t', 'cli-build', ctx]);
      const d2 = await dockerCli(host, ['build', '-t', 'cli-build', ctx]);
      assert.equal(b2.stdout, d2.stdout);
      assert.match(b2.stdout, / ---> Using cache\n/);
    });

    test('a failing RUN: its output, the daemon\'s message on stderr, its exit code', async () => {
      const ctx = await context({ 'Dockerfile': 'FROM busybox\nRUN echo out; exit 3\n' });
      const b = await berth(host, ['build', ctx]);
      const d = await dockerCli(host, ['build', ctx]);
      assert.equal(b.code, 3);
      assert.equal(d.code, 3);
      assert.equal(ids(b.stdout), ids(d.stdout));
      assert.equal(b.stderr, d.stderr);
      assert.equal(b.stderr, "The command '/bin/sh -c echo out; exit 3' returned a non-zero code: 3\n");
      const q = await berth(host, ['build', '-q', ctx]);
      const dq = await dockerCli(host, ['build', '-q', ctx]);
      assert.deepEqual([q.code, q.stdout], [3, '']);
      assert.equal(ids(q.stderr), ids(dq.stderr));
    });

    test('-q and --iidfile: the image ID, as docker writes it', async () => {
      const ctx = await context({ 'Dockerfile': 'FROM busybox\nRUN echo quiet > /q\n' });
      const b = await berth(host, ['build', '-q', '--iidfile', join(ctx, '../iid-bq'), ctx]);
      const d = await dockerCli(host, ['build', '-q', '--iidfile', join(ctx, '../iid-dq'), ctx]);
      assert.equal(b.code, 0, b.stderr);
      assert.match(b.stdout, /^sha256:[0-9a-f]{64}\n$/);
      assert.equal(b.stdout, d.stdout);
      assert.equal(await readFile(join(ctx, '../iid-bq'), 'utf8'), await readFile(join(ctx, '../iid-dq'), 'utf8'));
      const plain = await berth(host, ['build', '--iidfile', join(ctx, '../iid-b'), ctx]);
      assert.equal(await readFile(join(ctx, '../iid-b'), 'utf8'), b.stdout.trim());
      assert.equal(plain.code, 0);
    });

    test('a Dockerfile outside the context, on stdin, and a context tar on stdin: the same images', async () => {
      const ctx = await context({ 'a.txt': 'a\n', 'skip.txt': 'skip\n', '.dockerignore': 'skip.txt\n' });
      // Not `COPY .`: the .dockerignore that travels names the Dockerfile's random name, so it differs per build.
      const dockerfile = 'FROM busybox\nCOPY a.txt /a\nRUN cat /a > /b\n';
      const outside = join(ctx, '../outside.Dockerfile');
      await writeFile(outside, dockerfile);
      const b = await berth(host, ['build', '-q', '-f', outside, ctx]);
      assert.equal(b.code, 0, b.stderr);
      const fromStdin = await berth(host, ['build', '-q', '-f', '-', ctx], dockerfile);
      assert.equal(fromStdin.stdout, b.stdout, fromStdin.stderr);
      // docker's context for the same build (sent without the tar's padding and end blocks: its
      // ReplaceFileTarWrapper closes the pipe before the tar writer) gives all cache hits, so the same image.
      const d = await dockerCli(host, ['build', '-q', '-f', outside, ctx]);
      assert.equal(d.stdout, b.stdout, d.stderr);
      const tarCtx = await context({ 'Dockerfile': 'FROM busybox\nCOPY a.txt /a\n', 'a.txt': 'from a tar\n' });
      const tarBytes = execFileSync('tar', ['-C', tarCtx, '-cf', '-', '.']);
      const bt = await berth(host, ['build', '-q', '-'], tarBytes);
      const dt = await dockerCli(host, ['build', '-q', '-'], tarBytes);
      assert.equal(bt.code, 0, bt.stderr);
      assert.equal(bt.stdout, dt.stdout);
      const bd = await berth(host, ['build', '-q', '-'], 'FROM busybox\nRUN echo from-stdin\n');
      const dd = await dockerCli(host, ['build', '-q', '-'], 'FROM busybox\nRUN echo from-stdin\n');
      assert.equal(bd.code, 0, bd.stderr);
      assert.equal(bd.stdout, dd.stdout);
    });

    test('bad input: a missing context, a missing Dockerfile', async () => {
      const ctx = await context({ 'x': 'x' });
      for (const args of [['build', join(dir, 'no-such-dir')], ['build', ctx], ['build', '-f', join(ctx, 'nope'), ctx]]) {
        const b = await berth(host, args);
        const d = await dockerCli(host, args);
        assert.deepEqual([b.code, b.stderr, b.stdout], [d.code, d.stderr, d.stdout], args.join(' '));
      }
    });
  });
}

clientTests('dockerd', async (): Promise<TestDockerd> => {
  const d = await startDockerd();
  await importBusybox(d, 'busybox');
  return d;
}, dockerdMissing() ?? false);

clientTests('berthd', (): Promise<TestDaemon> => startContainerDaemon(), containersMissing());
