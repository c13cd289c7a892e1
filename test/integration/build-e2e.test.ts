// `docker build` (the legacy builder's API, DOCKER_BUILDKIT=0) against a berthd of the test, through the
// real docker CLI: every instruction lands in the image config and history, RUN output streams, the cache
// hits step by step (and survives a restart) until a changed file invalidates it, multi-stage builds build
// only what the target needs, RUN mounts, heredocs, ADD of archives and URLs, SOURCE_DATE_EPOCH
// reproducibility, and bad input: clear errors, no half-written image, no container left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import { DOCKER_CLI } from '../helpers/docker-cli.ts';
import { tempDir, removeDir } from '../helpers/tmp.ts';
import { startRegistry } from '../helpers/registry.ts';

const skip = containersMissing();

type ContainerDaemon = Awaited<ReturnType<typeof startContainerDaemon>>;

describe('docker build (legacy builder) against berthd', { skip }, () => {
  let d: ContainerDaemon;
  let dir: string;
  let n = 0;
  const legacy = { env: { DOCKER_BUILDKIT: '0' } };
  const docker = (...args: string[]) => d.docker(args, legacy);
  const ok = async (...args: string[]) => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  /** A fresh context directory with these files. */
  const context = async (files: Record<string, string>) => {
    const ctx = join(dir, `ctx${n++}`);
    for (const [name, data] of Object.entries(files)) {
      await mkdir(join(ctx, name, '..'), { recursive: true });
      await writeFile(join(ctx, name), data);
    }
    await mkdir(ctx, { recursive: true });
    return ctx;
  };
  const build = (ctx: string, ...args: string[]) => docker('build', ...args, ctx);
  const built = async (ctx: string, ...args: string[]) => {
    const r = await build(ctx, ...args);
    assert.equal(r.code, 0, `docker build ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const inspect = async (ref: string, format: string) => (await ok('image', 'inspect', '-f', format, ref)).trim();
  const noContainers = async () => assert.equal((await ok('ps', '-aq')).trim(), '', 'a build left a container behind');

  before(async () => {
    d = await startContainerDaemon();
    dir = await tempDir('build-e2e-');
  });
  after(async () => {
    await d?.cleanup();
    if (dir) await removeDir(dir);
  });

  test('every instruction lands in the config; RUN output streams; the image runs', async () => {
    const ctx = await context({
      'Dockerfile': [
        'ARG BASE=busybox',
        'FROM ${BASE} AS base',
        'LABEL org.example.title="all of it" version=1',
        'ARG GREETING=hello',
        'ENV APP_HOME=/srv/app PATH=/srv/app/bin:$PATH',
        'WORKDIR $APP_HOME',
        'COPY greet.sh bin/',
        'RUN chmod 0755 bin/greet.sh && echo "built with ${GREETING}" && echo to-stderr >&2',
        'USER 1000:1000',
        'EXPOSE 8080 9090/udp',
        'VOLUME ["/data"]',
        'STOPSIGNAL SIGINT',
        'HEALTHCHECK --interval=5s --retries=2 CMD ["greet.sh"]',
        'SHELL ["/bin/sh", "-ec"]',
        'ONBUILD RUN echo triggered',
        'ENTRYPOINT ["greet.sh"]',
        'CMD ["world"]',
        '',
      ].join('\n'),
      'greet.sh': '#!/bin/sh\necho "hi $1 from $(pwd) as $(id -u)"\n',
    });
    const out = await built(ctx, '-t', 'e2e/all:1', '--build-arg', 'GREETING=howdy');
    assert.match(out, /^Step 1\/17 : ARG BASE=busybox\nStep 2\/17 : FROM \$\{BASE\} AS base$/m);
    assert.match(out, /^built with howdy$/m);
    assert.match(out, /^ ---> Running in [0-9a-f]{12}$/m);
    assert.match(out, /to-stderr/);
    assert.match(out, /^Successfully built [0-9a-f]{12}$/m);
    assert.match(out, /^Successfully tagged e2e\/all:1$/m);

    const config = JSON.parse(await inspect('e2e/all:1', '{{json .Config}}')) as Record<string, unknown>;
    assert.ok((config.Env as string[]).includes('APP_HOME=/srv/app'));
    assert.ok((config.Env as string[]).some((e) => e.startsWith('PATH=/srv/app/bin:')));
    assert.equal(config.WorkingDir, '/srv/app');
    assert.equal(config.User, '1000:1000');
    assert.deepEqual(config.ExposedPorts, { '8080/tcp': {}, '9090/udp': {} });
    assert.deepEqual(config.Volumes, { '/data': {} });
    assert.equal(config.StopSignal, 'SIGINT');
    assert.deepEqual(config.Healthcheck, { Test: ['CMD', 'greet.sh'], Interval: 5e9, Retries: 2 });
    assert.deepEqual(config.Shell, ['/bin/sh', '-ec']);
    assert.deepEqual(config.OnBuild, ['RUN echo triggered']);
    assert.deepEqual(config.Entrypoint, ['greet.sh']);
    assert.deepEqual(config.Cmd, ['world']);
    assert.deepEqual(config.Labels, { 'org.example.title': 'all of it', version: '1' });

    const history = await ok('history', '--no-trunc', '--format', '{{.CreatedBy}}', 'e2e/all:1');
    assert.match(history, /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in bin\/ $/m);
    assert.match(history, /^\|1 GREETING=howdy \/bin\/sh -c chmod 0755 bin\/greet.sh/m);
    assert.equal((await ok('run', '--rm', 'e2e/all:1')).trim(), 'hi world from /srv/app as 1000');

    // A child image runs the ONBUILD trigger right after its FROM.
    const child = await context({ Dockerfile: 'FROM e2e/all:1\n' });
    const childOut = await built(child, '-t', 'e2e/child');
    assert.match(childOut, /# Executing 1 build trigger\n/);
    assert.match(childOut, /^triggered$/m);
    assert.equal(await inspect('e2e/child', '{{json .Config.OnBuild}}'), 'null');
    await noContainers();
  });

  test('a second build is all cache; a changed file rebuilds from its COPY on; --no-cache none; the cache outlives a restart', async () => {
    const ctx = await context({
      Dockerfile: 'FROM busybox\nENV A=1\nRUN echo one > /one\nCOPY f.txt /f.txt\nRUN cat /f.txt > /copy\n',
      'f.txt': 'v1\n',
    });
    const first = await built(ctx, '-t', 'e2e/cache');
    assert.doesNotMatch(first, /Using cache/);
    const id = await inspect('e2e/cache', '{{.Id}}');
    // The intermediate images are the cache: history names each step's (and busybox's), as dockerd's does.
    const ids = (await ok('history', '--format', '{{.ID}}', 'e2e/cache')).trim().split('\n');
    assert.equal(ids.length, 6);
    assert.equal(ids.filter((i) => i !== '<missing>').length, 5, ids.join(' '));
    assert.doesNotMatch(await ok('images', '--format', '{{.Repository}}'), /<none>/, 'intermediate images are listed without -a');
    const second = await built(ctx, '-t', 'e2e/cache');
    assert.equal(second.match(/ ---> Using cache/g)?.length, 4, second);
    assert.equal(await inspect('e2e/cache', '{{.Id}}'), id);

    await writeFile(join(ctx, 'f.txt'), 'v2\n');
    const third = await built(ctx, '-t', 'e2e/cache');
    // ENV and the first RUN hit; the COPY and the RUN after it do not.
    assert.equal(third.match(/ ---> Using cache/g)?.length, 2, third);
    assert.match(third, /Step 4\/5 : COPY f.txt \/f.txt\n(?! ---> Using cache)/);
    assert.equal(await ok('run', '--rm', 'e2e/cache', 'cat', '/copy'), 'v2\n');
    assert.notEqual(await inspect('e2e/cache', '{{.Id}}'), id);

    const none = await built(ctx, '--no-cache', '-t', 'e2e/cache');
    assert.doesNotMatch(none, /Using cache/);

    await d.stop();
    d = await startContainerDaemon({ dataRoot: d.dataRoot, execRoot: d.execRoot });
    const after = await built(ctx, '-t', 'e2e/cache');
    assert.equal(after.match(/ ---> Using cache/g)?.length, 4, after);
    await noContainers();
  });

  test('--cache-from: an image with no parent chain (saved and loaded) is the cache, step by step', async () => {
    const ctx = await context({ Dockerfile: 'FROM busybox\nRUN echo cached > /c\nENV B=2\nCOPY f.txt /f\n', 'f.txt': 'f' });
    await built(ctx, '-t', 'e2e/src');
    const id = await inspect('e2e/src', '{{.Id}}');
    const archive = join(dir, 'src.tar');
    await ok('save', '-o', archive, 'e2e/src');
    await ok('rmi', 'e2e/src');
    await ok('load', '-i', archive);
    const plain = await built(ctx, '--no-cache');
    assert.doesNotMatch(plain, /Using cache/);
    await ok('image', 'prune', '-f');
    const cold = await built(ctx, '-t', 'e2e/nocachefrom');
    assert.doesNotMatch(cold, /Using cache/, 'the local cache survived rmi and prune');
    await ok('rmi', 'e2e/nocachefrom');
    await ok('image', 'prune', '-f');
    const out = await built(ctx, '--cache-from', 'e2e/src', '--cache-from', 'e2e/not-here', '-t', 'e2e/fromcache');
    assert.equal(out.match(/ ---> Using cache/g)?.length, 3, out);
    assert.equal(await inspect('e2e/fromcache', '{{.Id}}'), id);
  });

  test('a base image from a registry: pulled when missing, and again with --pull when the local one is stale', async () => {
    const registry = await startRegistry();
    try {
      const base = `${registry.host}/e2e/base:1`;
      const v2 = await context({ Dockerfile: 'FROM busybox\nRUN echo v2 > /marker\n' });
      await built(v2, '-t', base);
      await ok('push', base);
      await ok('rmi', base);
      const ctx = await context({ Dockerfile: `FROM ${base}\nRUN cat /marker 2>/dev/null || echo none\n` });
      assert.match(await built(ctx, '--no-cache'), /^v2$/m, 'a missing base image is pulled');
      await ok('tag', 'busybox', base); // the local tag goes stale: the registry still has v2
      assert.match(await built(ctx, '--no-cache'), /^none$/m);
      assert.match(await built(ctx, '--pull', '--no-cache'), /^v2$/m, '--pull did not refresh the base image');
    } finally {
      await registry.stop();
    }
  });

  test('a base image from a registry that needs a login: the CLI\'s X-Registry-Config carries the credentials', async () => {
    const registry = await startRegistry({ auth: { username: 'builder', password: 'secret-pw' } });
    const configDir = join(dir, 'docker-config');
    await mkdir(configDir, { recursive: true });
    const as = (...args: string[]) => d.docker(args, { ...legacy, configDir });
    try {
      const base = `${registry.host}/e2e/private:1`;
      const login = await d.docker(['login', '-u', 'builder', '--password-stdin', registry.host], { ...legacy, configDir, input: 'secret-pw\n' });
      assert.equal(login.code, 0, login.stderr);
      await ok('tag', 'busybox', base);
      assert.equal((await as('push', base)).code, 0);
      await ok('rmi', base);
      const ctx = await context({ Dockerfile: `FROM ${base}\nRUN echo pulled with a login\n` });
      const anonymous = await build(ctx);
      assert.notEqual(anonymous.code, 0, 'an anonymous build pulled from a registry that needs a login');
      const r = await as('build', ctx);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^pulled with a login$/m);
    } finally {
      await registry.stop();
    }
  });

  test('multi-stage: only the stages the target needs, COPY --from a stage and an image, --target, parallel stages kept in order', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox AS left',
        'RUN echo left > /left',
        'FROM busybox AS right',
        'RUN echo right > /right',
        'FROM busybox AS broken',
        'RUN echo never built; exit 7',
        'FROM scratch AS final',
        'COPY --from=left /left /out/',
        'COPY --from=1 /right /out/',
        'COPY --from=busybox /bin/busybox /bin/busybox',
        'CMD ["/bin/busybox", "cat", "/out/left", "/out/right"]',
        '',
      ].join('\n'),
    });
    const out = await built(ctx, '-t', 'e2e/multi');
    assert.doesNotMatch(out, /never built/);
    assert.match(out, /Step 1\/9 : FROM busybox AS left[\s\S]*Step 3\/9 : FROM busybox AS right[\s\S]*Step 5\/9 : FROM scratch AS final/);
    assert.equal(await ok('run', '--rm', 'e2e/multi'), 'left\nright\n');
    assert.equal(await inspect('e2e/multi', '{{len .RootFS.Layers}}'), '3');

    const target = await built(ctx, '--target', 'right', '-t', 'e2e/right');
    assert.match(target, /Step 1\/2 : FROM busybox AS right/);
    assert.equal(await ok('run', '--rm', 'e2e/right', 'cat', '/right'), 'right\n');
    // Each of two independent stages waits for the other's mark in a shared cache mount: only
    // stages built at the same time get past it (one after the other, the first gives up).
    const rendezvous = await context({
      Dockerfile: [
        'FROM busybox AS one',
        'RUN --mount=type=cache,id=rendezvous,target=/s rm -f /s/two; touch /s/one; i=0; until [ -e /s/two ]; do i=$((i+1)); [ $i -lt 300 ] || exit 9; sleep 0.1; done; echo one > /mark',
        'FROM busybox AS two',
        'RUN --mount=type=cache,id=rendezvous,target=/s i=0; until [ -e /s/one ]; do i=$((i+1)); [ $i -lt 300 ] || exit 9; sleep 0.1; done; touch /s/two; echo two > /mark',
        'FROM busybox',
        'COPY --from=one /mark /one',
        'COPY --from=two /mark /two',
        '',
      ].join('\n'),
    });
    await built(rendezvous, '--no-cache');

    const r = await build(ctx, '--target', 'nope');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /failed to reach build target nope in Dockerfile/);
    await noContainers();
  });

  test('.dockerignore with ! exceptions and **; a missing COPY source says so', async () => {
    const ctx = await context({
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN cd /ctx && find . -type f | sort\n',
      '.dockerignore': '**/*.log\nsecret/\n!keep.log\n',
      'a.txt': 'a', 'sub/b.log': 'b', 'keep.log': 'k', 'secret/key': 'x', 'sub/deep/c.txt': 'c',
    });
    const out = await built(ctx);
    const files = out.split('\n').filter((l) => l.startsWith('./'));
    assert.deepEqual(files, ['./.dockerignore', './Dockerfile', './a.txt', './keep.log', './sub/deep/c.txt']);

    const missing = await context({ Dockerfile: 'FROM busybox\nCOPY nothing-here.txt /\n' });
    const r = await build(missing, '-t', 'e2e/missing');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /COPY failed: .*nothing-here\.txt/);
    assert.notEqual((await docker('image', 'inspect', 'e2e/missing')).code, 0, 'a failed build tagged an image');
  });

  test('a failing RUN: its exit code and output, no tag, no container left; syntax errors name the line', async () => {
    const ctx = await context({ Dockerfile: 'FROM busybox\nRUN echo first line; echo last line; exit 3\n' });
    const r = await build(ctx, '-t', 'e2e/fails');
    // The docker CLI exits with the step's code (errorDetail.code), as with dockerd.
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /first line\nlast line\n/);
    assert.match(r.stderr, /The command '\/bin\/sh -c echo first line; echo last line; exit 3' returned a non-zero code: 3/);
    assert.notEqual((await docker('image', 'inspect', 'e2e/fails')).code, 0);
    await noContainers();

    const api = await d.request('POST', '/build?q=1', tarOf(ctx));
    const last = JSON.parse(api.body.trim().split('\n').pop()!) as { errorDetail: { code: number; message: string } };
    assert.equal(last.errorDetail.code, 3);
    // -q hid the output: the error carries its last lines.
    assert.match(last.errorDetail.message, /first line\nlast line\nThe command/);

    const unknown = await context({ Dockerfile: 'FROM busybox\nRUN true\nFROBNICATE now\n' });
    const u = await build(unknown);
    assert.notEqual(u.code, 0);
    assert.match(u.stderr, /line 3: unknown instruction: FROBNICATE/i);
    const fromVariable = await context({ Dockerfile: 'FROM busybox AS a\nFROM busybox\nARG S=a\nCOPY --from=$S /bin/sh /x\n' });
    assert.match((await build(fromVariable)).stderr, /Dockerfile:4: variable expansion is not supported for --from/);
    const bad = await context({ Dockerfile: 'FROM busybox\nCOPY --nope=1 a b\n' });
    assert.match((await build(bad)).stderr, /line 2/);
    const none = await context({ 'other.txt': 'x' });
    // The docker CLI checks for the Dockerfile itself; the API answers a context without one.
    const noDockerfile = await d.request('POST', '/build', tarOf(none));
    assert.ok(noDockerfile.status >= 400, noDockerfile.body);
    assert.match(noDockerfile.body, /Cannot locate specified Dockerfile: Dockerfile/);
    await noContainers();
  });

  test('a client that goes away mid-RUN: the step\'s container is killed and removed, nothing is tagged', async () => {
    const ctx = await context({ Dockerfile: 'FROM busybox\nRUN echo started; sleep 60\n' });
    const child = spawn(DOCKER_CLI, ['build', '-t', 'e2e/cancelled', ctx], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0' },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    await waitUntil('the RUN step to start', async () => out.includes('started') && (await ok('ps', '-q')).trim() !== '', 20_000);
    child.kill('SIGKILL');
    await waitUntil('the build container to go', async () => (await ok('ps', '-aq')).trim() === '', 20_000);
    assert.notEqual((await docker('image', 'inspect', 'e2e/cancelled')).code, 0);
  });

  test('RUN mounts (cache persists across builds, tmpfs, bind from the context and a stage), heredocs, --network=none', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox AS tools',
        'RUN echo tool > /tool',
        'FROM busybox',
        'ARG ROUND',
        'RUN --mount=type=cache,target=/cache echo "round $ROUND" >> /cache/log && cat /cache/log',
        'RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && test ! -e /x && grep -q "/scratch tmpfs" /proc/mounts',
        'RUN --mount=type=bind,source=input.txt,target=/in cat /in > /from-context',
        'RUN --mount=type=bind,from=tools,source=/tool,target=/t cat /t > /from-stage',
        'RUN --network=none ip link 2>/dev/null | grep -c "^[0-9]*:" > /links || true',
        'RUN <<EOF',
        'echo heredoc one > /heredoc',
        'echo heredoc two >> /heredoc',
        'EOF',
        'COPY <<EOF /copied.txt',
        'copied ${ROUND}',
        'EOF',
        '',
      ].join('\n'),
      'input.txt': 'from the context\n',
    });
    const first = await built(ctx, '--build-arg', 'ROUND=1', '-t', 'e2e/mounts');
    assert.match(first, /^round 1$/m);
    const second = await built(ctx, '--build-arg', 'ROUND=2', '-t', 'e2e/mounts');
    assert.match(second, /^round 1\nround 2$/m, 'the cache mount did not keep the first build\'s file');
    const cat = (f: string) => ok('run', '--rm', 'e2e/mounts', 'cat', f);
    assert.equal(await cat('/from-context'), 'from the context\n');
    assert.equal(await cat('/from-stage'), 'tool\n');
    assert.equal(await cat('/heredoc'), 'heredoc one\nheredoc two\n');
    assert.equal(await cat('/copied.txt'), 'copied 2\n');
    assert.notEqual((await docker('run', '--rm', 'e2e/mounts', 'ls', '/cache/log')).code, 0, 'the cache mount leaked into the image');
    // `docker builder prune` empties the cache mounts.
    const pruned = await ok('builder', 'prune', '-f');
    assert.match(pruned, /Deleted build cache objects:\n[0-9a-f]{64}\n/);
    assert.match(pruned, /Total reclaimed space: \d/);
    assert.match(await built(ctx, '--build-arg', 'ROUND=3'), /^round 3\n(?!round)/m);
    await noContainers();
  });

  test('ADD: a local tar is extracted, a URL is downloaded and checked against --checksum', async () => {
    const payload = 'downloaded payload\n';
    const sum = createHash('sha256').update(payload).digest('hex');
    const server: Server = createServer((_req, res) => { res.end(payload); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const ctx = await context({
        Dockerfile: [
          'FROM busybox',
          'ADD files.tar /unpacked/',
          `ADD --checksum=sha256:${sum} http://127.0.0.1:${port}/payload.txt /payload.txt`,
          '',
        ].join('\n'),
        'src/inner/one.txt': 'one\n',
      });
      execFileSync('tar', ['-C', join(ctx, 'src'), '-cf', join(ctx, 'files.tar'), 'inner']);
      await built(ctx, '--network', 'host', '-t', 'e2e/add');
      assert.equal(await ok('run', '--rm', 'e2e/add', 'cat', '/unpacked/inner/one.txt', '/payload.txt'), `one\n${payload}`);

      const wrong = await context({ Dockerfile: `FROM busybox\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/payload.txt /p\n` });
      const r = await build(wrong, '--network', 'host');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /checksum|digest/i);
    } finally {
      server.close();
    }
  });

  test('COPY --chown/--chmod with names from the image\'s /etc/passwd; a directory copies its contents', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox',
        'RUN echo "app:x:1234:4321::/home/app:/bin/sh" >> /etc/passwd && echo "app:x:4321:" >> /etc/group',
        'COPY --chown=app:app --chmod=0640 one.txt /dest/',
        'COPY --chown=55:66 dir /copied',
        'RUN stat -c "%n %u %g %a" /dest/one.txt /copied/inner/two.txt',
        '',
      ].join('\n'),
      'one.txt': '1', 'dir/inner/two.txt': '2',
    });
    const out = await built(ctx);
    assert.match(out, /^\/dest\/one.txt 1234 4321 640$/m);
    assert.match(out, /^\/copied\/inner\/two.txt 55 66 644$/m);
  });

  test('a context larger than the daemon\'s memory goes to disk as it comes, never held whole', async (t) => {
    const big = 1024 * 1024 * 1024;
    const ctx = await context({ Dockerfile: 'FROM busybox\nCOPY small.txt /\n', 'small.txt': 's' });
    execFileSync('truncate', ['-s', String(big), join(ctx, 'big.bin')]);
    await built(ctx);
    const status = execFileSync('cat', [`/proc/${d.process.pid}/status`]).toString();
    const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(status)![1]);
    t.diagnostic(`berthd's peak RSS: ${peakKiB} KiB`);
    assert.ok(peakKiB * 1024 < big / 4, `berthd peaked at ${peakKiB} KiB while receiving a ${big}-byte context`);
  });

  test('platform: the automatic TARGET*/BUILD* args; FROM --platform of another platform is refused', async () => {
    const arch = (await ok('version', '-f', '{{.Server.Arch}}')).trim();
    const ctx = await context({ Dockerfile: 'FROM --platform=$BUILDPLATFORM busybox\nARG TARGETARCH\nRUN echo "arch=$TARGETARCH"\n' });
    assert.match(await built(ctx), new RegExp(`^arch=${arch}$`, 'm'));
    const other = await context({ Dockerfile: `FROM --platform=linux/${arch === 'arm64' ? 'amd64' : 'arm64'} busybox\nRUN true\n` });
    const r = await build(other);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Dockerfile:1: FROM --platform=linux\/\w+: berth builds for linux\//);
    await noContainers();
  });

  test('a RUN that deletes files commits whiteouts: the files are gone from the image and its saved layer says so', async () => {
    const ctx = await context({ Dockerfile: 'FROM busybox\nRUN mkdir -p /d/keep && echo x > /d/f && echo y > /d/keep/g\nRUN rm /d/f && rm -r /d/keep\n' });
    await built(ctx, '-t', 'e2e/whiteout');
    assert.equal(await ok('run', '--rm', 'e2e/whiteout', 'ls', '-A', '/d'), '');
    const archive = join(dir, 'whiteout.tar');
    await ok('save', '-o', archive, 'e2e/whiteout');
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json']).toString()) as { Layers: string[] }[];
    const top = manifest[0]!.Layers.at(-1)!;
    const names = execFileSync('sh', ['-c', `tar -xOf "$0" "$1" | tar -t`, archive, top]).toString().split('\n').filter(Boolean).sort();
    assert.deepEqual(names.filter((n) => n.includes('.wh.')), ['d/.wh.f', 'd/.wh.keep']);
  });

  test('SOURCE_DATE_EPOCH: the same inputs give the same image, layers and all', async () => {
    const ctx = await context({
      Dockerfile: 'FROM busybox\nCOPY f.txt /f.txt\nRUN echo made > /made && mkdir -p /d/e\nWORKDIR /w\n',
      'f.txt': 'same\n',
    });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      await built(ctx, '--no-cache', '--build-arg', 'SOURCE_DATE_EPOCH=1700000000', '-t', `e2e/repro${i}`);
      ids.push(await inspect(`e2e/repro${i}`, '{{.Id}}'));
    }
    assert.equal(ids[0], ids[1]);
    assert.equal(await inspect('e2e/repro0', '{{.Created}}'), '2023-11-14T22:13:20Z');
  });
});

function tarOf(dir: string): Uint8Array {
  return execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
}
