// Real multi-stage projects (test/fixtures/build-projects) built with the real docker CLI's legacy builder
// (`DOCKER_BUILDKIT=0 docker build`), first against a real dockerd, which is what validates the fixtures and the
// expectations, then against berthd: the static C program compiled in one stage and copied into scratch, the
// small Node app, and the five-step busybox build; their output, config and history, all-cached rebuilds, and a
// changed source file invalidating the cache from its COPY on.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startContainerDaemon, containersMissing } from '../helpers/containers.ts';
import { busyboxRootfsTar, dockerdMissing, startDockerd } from '../helpers/dockerd.ts';
import type { RunOptions, RunResult } from '../helpers/docker-cli.ts';
import { freePort, waitFor } from '../helpers/ports.ts';
import { REPO_ROOT } from '../helpers/registry.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { loadToolchainImages, toolchainImagesMissing } from '../helpers/toolchain-images.ts';

const PROJECTS = join(REPO_ROOT, 'test/fixtures/build-projects');
const LEGACY = { DOCKER_BUILDKIT: '0' };

interface Engine {
  docker(args: string[], opts?: RunOptions): Promise<RunResult>;
  logs(): string;
  cleanup(): Promise<void>;
  /** Why builds cannot run against it yet (berthd before /build landed), or undefined. */
  notBuilding?: string;
}

interface EngineKind {
  name: string;
  missing: string | false;
  start(): Promise<Engine>;
}

const toolchain = toolchainImagesMissing();

const engines: EngineKind[] = [
  {
    name: 'dockerd',
    missing: dockerdMissing() ?? false,
    start: async () => {
      const d = await startDockerd();
      const rootfs = await busyboxRootfsTar();
      try {
        const r = await d.docker(['import', '--change', 'CMD ["sh"]', '--change', 'ENV PATH=/bin', rootfs.path, 'busybox']);
        if (r.code !== 0) throw new Error(`docker import busybox: ${r.stderr}`);
      } finally {
        await removeDir(rootfs.dir);
      }
      return { docker: d.docker, logs: d.logs, cleanup: d.cleanup };
    },
  },
  {
    name: 'berthd',
    missing: containersMissing(),
    start: async () => {
      const d = await startContainerDaemon();
      await waitFor('berthd to import the built-in busybox', async () => (await d.docker(['image', 'inspect', 'busybox'])).code === 0, 30_000);
      const probe = await d.request('POST', '/build');
      const notBuilding = probe.status === 404 && /page not found/.test(probe.body) ? 'berthd does not serve POST /build yet' : undefined;
      return { docker: d.docker, logs: d.logs, cleanup: d.cleanup, notBuilding };
    },
  },
];

/** `docker build` output: each step's line, whether it came from the cache, and whether it ran a container. */
interface Step { line: string; cached: boolean; ran: boolean }

function steps(out: string): Step[] {
  const result: Step[] = [];
  for (const l of out.split('\n')) {
    const m = /^Step \d+\/\d+ : (.*)$/.exec(l);
    const last = result[result.length - 1];
    if (m) result.push({ line: m[1]!, cached: false, ran: false });
    else if (last && l === ' ---> Using cache') last.cached = true;
    else if (last && l.startsWith(' ---> Running in ')) last.ran = true;
  }
  return result;
}

function imageId(out: string): string {
  const m = /Successfully built ([0-9a-f]{12})/.exec(out);
  assert.ok(m, `no "Successfully built" in:\n${out}`);
  return m[1]!;
}

for (const kind of engines) {
  describe(`build projects with the docker CLI against ${kind.name}`, { skip: kind.missing || toolchain || false, concurrency: false }, () => {
    let engine: Engine;
    let work: string;

    const dockerOk = async (args: string[], opts?: RunOptions): Promise<string> => {
      const r = await engine.docker(args, opts);
      if (r.code !== 0) {
        throw new Error(`docker ${args.join(' ')} exited ${r.code}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}\n--- ${kind.name} log (tail) ---\n${engine.logs().slice(-3000)}`);
      }
      return r.stdout;
    };
    const build = (tag: string, dir: string) => dockerOk(['build', '-t', tag, dir], { env: LEGACY, timeoutMs: 300_000 });
    const inspect = async (ref: string) => JSON.parse(await dockerOk(['image', 'inspect', ref]))[0];
    const history = async (ref: string) => (await dockerOk(['history', '--no-trunc', '--format', '{{.CreatedBy}}', ref])).replace(/\n$/, '').split('\n');
    /** Skips the rest when the engine cannot build yet, saying why. */
    const ready = (t: TestContext): boolean => {
      if (engine.notBuilding) t.skip(engine.notBuilding);
      return !engine.notBuilding;
    };

    before(async () => {
      work = await tempDir('build-projects-');
      engine = await kind.start();
      await loadToolchainImages((args) => engine.docker(args, { timeoutMs: 300_000 }));
    });
    after(async () => {
      await engine?.cleanup();
      await removeDir(work);
    });

    it('builds the static C program in the gcc stage and runs it from scratch', async (t) => {
      if (!ready(t)) return;
      const out = await build('static-c', join(PROJECTS, 'static-c'));
      // The compile really ran in a container (dockerd also shows one for WORKDIR and ENTRYPOINT's commits).
      assert.equal(steps(out).find((s) => s.line.startsWith('RUN '))?.ran, true, out);
      assert.deepEqual(steps(out).map((s) => s.line), [
        'FROM berth-test/gcc AS build', 'WORKDIR /src', 'COPY hello.c .', 'RUN mkdir -p /out && gcc -static -O2 -o /out/hello hello.c',
        'FROM scratch', 'COPY --from=build /out/hello /hello', 'ENTRYPOINT ["/hello"]',
      ]);
      assert.equal(await dockerOk(['run', '--rm', '--network', 'none', 'static-c', 'one', 'two']),
        'hello from a static binary in scratch\narg 1: one\narg 2: two\n');
      const image = await inspect('static-c');
      assert.deepEqual(image.Config.Entrypoint, ['/hello']);
      assert.equal(image.Config.Cmd, null);
      // Only the COPY's layer: nothing of the gcc stage comes along.
      assert.equal(image.RootFS.Layers.length, 1);
      assert.ok(image.Size < 2_000_000, `the scratch image is ${image.Size} bytes`);
      const h = await history('static-c');
      assert.equal(h.length, 2, h.join('\n'));
      assert.match(h[0]!, /^\/bin\/sh -c #\(nop\) {2}ENTRYPOINT \["\/hello"\]$/);
      assert.match(h[1]!, /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/hello $/);
    });

    it('rebuilds the static C program all from the cache', async (t) => {
      if (!ready(t)) return;
      const first = (await inspect('static-c')).Id as string;
      const out = await build('static-c', join(PROJECTS, 'static-c'));
      const s = steps(out);
      assert.deepEqual(s.filter((x) => !x.line.startsWith('FROM ')).map((x) => [x.line, x.cached]),
        s.filter((x) => !x.line.startsWith('FROM ')).map((x) => [x.line, true]), out);
      assert.equal(first.slice(7, 19), imageId(out));
    });

    it('builds only the gcc stage with --target, from the cache the full build left', async (t) => {
      if (!ready(t)) return;
      const out = await dockerOk(['build', '--target', 'build', '-t', 'static-c-build', join(PROJECTS, 'static-c')], { env: LEGACY, timeoutMs: 300_000 });
      assert.deepEqual(steps(out).map((s) => [s.line, s.cached]), [
        ['FROM berth-test/gcc AS build', false], ['WORKDIR /src', true], ['COPY hello.c .', true],
        ['RUN mkdir -p /out && gcc -static -O2 -o /out/hello hello.c', true],
      ]);
      assert.equal(await dockerOk(['run', '--rm', '--network', 'none', 'static-c-build', '/out/hello']), 'hello from a static binary in scratch\n');
      assert.equal((await inspect('static-c-build')).Config.WorkingDir, '/src');
    });

    it('builds the Node app: config, .dockerignore, USER, and it answers', async (t) => {
      if (!ready(t)) return;
      const dir = join(work, 'node-app');
      await cp(join(PROJECTS, 'node-app'), dir, { recursive: true });
      // What .dockerignore keeps out (made here: the repository ignores *.log and node_modules itself).
      await mkdir(join(dir, 'node_modules/left-pad'), { recursive: true });
      await writeFile(join(dir, 'node_modules/left-pad/index.js'), 'module.exports = 1;\n');
      await writeFile(join(dir, 'npm-debug.log'), 'noise\n');
      const out = await build('node-app', dir);
      assert.deepEqual(steps(out).map((s) => s.line), [
        'FROM berth-test/node', 'WORKDIR /app', 'COPY package.json .', 'COPY . .', 'ENV NODE_ENV=production PORT=8080',
        'EXPOSE 8080', 'USER node', 'CMD ["node", "app.js"]',
      ]);
      const image = await inspect('node-app');
      assert.equal(image.Config.WorkingDir, '/app');
      assert.equal(image.Config.User, 'node');
      assert.deepEqual(image.Config.ExposedPorts, { '8080/tcp': {} });
      assert.deepEqual(image.Config.Cmd, ['node', 'app.js']);
      assert.ok(image.Config.Env.includes('NODE_ENV=production') && image.Config.Env.includes('PORT=8080'), image.Config.Env.join(' '));
      const h = await history('node-app');
      assert.deepEqual(h.slice(0, 7).map((l) => l.replace(/[0-9a-f]{64}/g, 'H')), [
        '/bin/sh -c #(nop)  CMD ["node" "app.js"]',
        '/bin/sh -c #(nop)  USER node',
        '/bin/sh -c #(nop)  EXPOSE 8080',
        '/bin/sh -c #(nop)  ENV NODE_ENV=production PORT=8080',
        '/bin/sh -c #(nop) COPY dir:H in . ',
        '/bin/sh -c #(nop) COPY file:H in . ',
        '/bin/sh -c #(nop) WORKDIR /app',
      ]);

      const port = await freePort();
      const id = (await dockerOk(['run', '-d', '--network', 'host', '-e', `PORT=${port}`, 'node-app'])).trim();
      try {
        let answer: Record<string, unknown> | undefined;
        await waitFor('the node app to answer', async () => {
          answer = await (await fetch(`http://127.0.0.1:${port}/`)).json() as Record<string, unknown>;
          return true;
        }, 20_000);
        assert.deepEqual(answer, {
          name: 'berth-node-app', greeting: 'hello from node', uid: 1000, cwd: '/app', nodeEnv: 'production',
          files: ['.dockerignore', 'Dockerfile', 'app.js', 'lib', 'package.json'],
        });
      } finally {
        await engine.docker(['rm', '-f', id]);
      }
    });

    it('rebuilds the Node app from the cache, and a changed source file invalidates from its COPY on', async (t) => {
      if (!ready(t)) return;
      const dir = join(work, 'node-app');
      const cachedOut = await build('node-app', dir);
      assert.deepEqual(steps(cachedOut).slice(1).map((s) => s.cached), [true, true, true, true, true, true, true], cachedOut);

      await writeFile(join(dir, 'lib/greeting.js'), "module.exports = 'hello again';\n");
      const out = await build('node-app', dir);
      assert.deepEqual(steps(out).map((s) => [s.line, s.cached]), [
        ['FROM berth-test/node', false], ['WORKDIR /app', true], ['COPY package.json .', true], ['COPY . .', false],
        ['ENV NODE_ENV=production PORT=8080', false], ['EXPOSE 8080', false], ['USER node', false], ['CMD ["node", "app.js"]', false],
      ]);
      assert.equal(await dockerOk(['run', '--rm', '--network', 'none', 'node-app', 'node', '-p', "require('./lib/greeting.js')"]), 'hello again\n');
    });

    it('builds the five steps on busybox, then again all from the cache', async (t) => {
      if (!ready(t)) return;
      const dir = join(PROJECTS, 'five-steps');
      const out = await build('five-steps', dir);
      assert.deepEqual(steps(out).map((s) => s.cached), [false, false, false, false, false]);
      assert.equal(await dockerOk(['run', '--rm', '--network', 'none', 'five-steps']), 'five steps\nbuilt\n');
      const again = await build('five-steps', dir);
      assert.deepEqual(steps(again).map((s) => s.cached), [false, true, true, true, true]);
      assert.deepEqual(steps(again).filter((s) => s.ran), []);
      assert.equal(imageId(again), imageId(out));
    });
  });
}
