// The berth CLI (bundled as dist/berth.mjs is) against a real berthd, side by side with the real
// docker CLI on the same daemon: the same commands must print the same bytes and exit the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { docker, runCommand, type RunOptions, type RunResult } from '../helpers/docker-cli.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushTestImage } from '../helpers/test-image.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { bundleBerthCli } from '../helpers/berth-cli.ts';

let daemon: TestDaemon;
let registry: TestRegistry;
let dir: string;
let bundle: string;
let configDir: string;

function env(extra: Record<string, string> = {}, cfg = configDir): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: daemon.host, DOCKER_CONFIG: cfg, DOCKER_CLI_HINTS: 'false', TZ: 'UTC', ...extra };
}

function berth(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runCommand(process.execPath, [bundle, ...args], { ...opts, env: env(opts.env, opts.configDir) });
}

function dockerCli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return docker(daemon.host, args, { ...opts, configDir: opts.configDir ?? configDir, env: { TZ: 'UTC', ...opts.env } });
}

/** docker's output with the program name swapped, for usage texts. */
const asBerth = (s: string) => s.replace(/(?<![\w.])docker(?![\w.])/g, 'berth');

/** The rows of one image with several repositories come in Go's random map order from docker. */
const rowsSorted = (s: string) => {
  const lines = s.split('\n');
  const header = /^[A-Z][A-Z ]*(\s|$)/.test(lines[0] ?? '') ? lines.shift() : undefined;
  return [header, ...lines.sort()].join('\n');
};

async function same(args: string[], opts: RunOptions & { rename?: boolean; unordered?: boolean } = {}): Promise<RunResult> {
  const [b, d] = await Promise.all([berth(args, opts), dockerCli(args, opts)]);
  const fix = opts.rename ? asBerth : (s: string) => s;
  if (opts.unordered) assert.equal(rowsSorted(b.stdout), rowsSorted(fix(d.stdout)), `stdout of ${args.join(' ')}`);
  else assert.equal(b.stdout, fix(d.stdout), `stdout of ${args.join(' ')}`);
  assert.equal(b.stderr, fix(d.stderr), `stderr of ${args.join(' ')}`);
  assert.equal(b.code, d.code, `exit code of ${args.join(' ')}`);
  return b;
}

const img = (p: string) => `${registry.host}/${p}`;

before(async () => {
  dir = await tempDir('berth-cli-');
  bundle = join(dir, 'berth.mjs');
  configDir = join(dir, 'config');
  await mkdir(configDir);
  [daemon, registry] = await Promise.all([startBerthd(), startRegistry(), bundleBerthCli(bundle)]) as [TestDaemon, TestRegistry, void];
  const base = await buildTestImage({
    layers: [{ files: { 'etc/': '', 'etc/os-release': 'NAME=test\n' } }, { files: { 'app/': '', 'app/run.sh': 'echo hi\n'.repeat(2000) } }],
    labels: { 'org.example.role': 'app' },
    cmd: ['/app/run.sh'],
  });
  const other = await buildTestImage({ layers: [{ files: { 'v2.txt': 'two' } }], format: 'oci', created: '2024-06-01T00:00:00Z' });
  await pushTestImage(registry.url, 'demo/app', 'latest', base);
  await pushTestImage(registry.url, 'demo/other', 'v2', other);
  const pulled = await dockerCli(['pull', '-q', img('demo/app:latest')]);
  assert.equal(pulled.code, 0, pulled.stderr);
});

after(async () => {
  await Promise.all([daemon?.cleanup(), registry?.stop()]);
  await removeDir(dir);
});

describe('berth CLI side by side with the docker CLI', () => {
  test('pull prints what docker prints to a pipe, and the reference', async () => {
    const b = await berth(['pull', img('demo/other:v2')]);
    assert.equal(b.code, 0, b.stderr);
    const lines = b.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'v2: Pulling from demo/other');
    assert.match(lines.at(-3)!, /^Digest: sha256:[0-9a-f]{64}$/);
    assert.equal(lines.at(-2), `Status: Downloaded newer image for ${img('demo/other:v2')}`);
    assert.equal(lines.at(-1), img('demo/other:v2'));
    assert.ok(!b.stdout.includes('Downloading'), 'no progress lines on a pipe');
    // Now present: both CLIs print the same "up to date" answer.
    await same(['pull', img('demo/other:v2')]);
    await same(['pull', '-q', img('demo/other:v2')]);
    await same(['pull', img('demo/other')]);
    await same(['pull', img('demo/nothere:v1')]);
    await same(['pull', 'Bad:Ref']);
  });

  test('a terminal gets the per-layer lines redrawn in place, as docker draws them', async () => {
    // Same layers under new names: each pull reports every layer as "Already exists", drawn with
    // cursor movement on a terminal. `script` gives both CLIs a pty.
    const base = await buildTestImage({
      layers: [{ files: { 'etc/': '', 'etc/os-release': 'NAME=test\n' } }, { files: { 'app/': '', 'app/run.sh': 'echo hi\n'.repeat(2000) } }],
      labels: { 'org.example.role': 'app' },
      cmd: ['/app/run.sh'],
    });
    await pushTestImage(registry.url, 'demo/copy1', 'latest', base);
    await pushTestImage(registry.url, 'demo/copy2', 'latest', base);
    const tty = (cli: string) => runCommand('script', ['-qec', `${cli} pull ${img('demo/copy1')}`.replace('copy1', cli.includes('berth') ? 'copy1' : 'copy2'), '/dev/null'],
      { env: env() });
    const [b, d] = await Promise.all([tty(`${process.execPath} ${bundle}`), tty('/usr/local/bin/docker')]);
    assert.equal(b.code, 0, b.stdout);
    assert.match(b.stdout, /\x1b\[2K\r[0-9a-f]{12}: Already exists \r\x1b\[\dB/);
    assert.equal(b.stdout, d.stdout.replaceAll('copy2', 'copy1'));
  });

  test('push prints the push stream, and -q only the reference', async () => {
    assert.equal((await berth(['tag', img('demo/app'), img('demo/pushed:v1')])).code, 0);
    const first = await berth(['push', img('demo/pushed:v1')]);
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `The push refers to repository [${img('demo/pushed')}]`);
    assert.match(lines.at(-1)!, /^v1: digest: sha256:[0-9a-f]{64} size: \d+$/);
    assert.ok(lines.some((l) => /^[0-9a-f]{12}: Preparing$/.test(l)), first.stdout);
    const [b, d] = await Promise.all([berth(['push', img('demo/pushed:v1')]), dockerCli(['push', img('demo/pushed:v1')])]);
    assert.equal(b.code, d.code, b.stderr);
    assert.deepEqual(b.stdout.split('\n').sort(), d.stdout.split('\n').sort());
    await same(['push', '-q', img('demo/pushed:v1')]);
    await same(['push', img('demo/nosuch:v1')]);
    await same(['push', img('demo/pushed')]);
  });

  test('registry serve runs berth\'s registry, which the daemon pushes to', async () => {
    const root = join(dir, 'registry');
    const child = spawn(process.execPath, [bundle, 'registry', 'serve', '--addr', '127.0.0.1:0', '--root', root], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/\S+)\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`registry serve exited with ${code}: ${out}`)));
      });
      const host = url.replace('http://', '');
      assert.equal((await berth(['tag', img('demo/app'), `${host}/mine/app:v1`])).code, 0);
      const p = await berth(['push', '-q', `${host}/mine/app:v1`]);
      assert.equal(p.code, 0, p.stderr);
      assert.equal(p.stdout, `${host}/mine/app:v1\n`);
      const tags = await (await fetch(`${url}/v2/mine/app/tags/list`)).json() as { tags: string[] };
      assert.deepEqual(tags.tags, ['v1']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const missing = await berth(['registry', 'serve']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /--root is required/);
  });

  test('images: the table, -q, --digests, --no-trunc, filters and templates', async () => {
    await same(['images'], { unordered: true });
    await same(['images', '-a'], { unordered: true });
    await same(['images', '-q'], { unordered: true });
    await same(['images', '--digests'], { unordered: true });
    await same(['images', '--no-trunc'], { unordered: true });
    await same(['image', 'ls', img('demo/app')], { unordered: true });
    await same(['images', '--filter', 'dangling=true'], { unordered: true });
    await same(['images', '--filter', 'label=org.example.role=app', '-q'], { unordered: true });
    await same(['images', '--format', '{{json .}}'], { unordered: true });
    await same(['images', '--format', 'json'], { unordered: true });
    await same(['images', '--format', 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.CreatedAt}}\t{{.Size}}'], { unordered: true });
    await same(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.CreatedSince}} {{upper .Tag}} {{.VirtualSize}}'], { unordered: true });
    await same(['images', '--format', '{{.Foo}}'], { unordered: true });
    await same(['images', '--format', '{{.ID}'], { unordered: true });
    await same(['images', '--filter', 'bogus=1'], { unordered: true });
  });

  test('history, inspect and system df', async () => {
    const ref = img('demo/app');
    await same(['history', ref]);
    await same(['history', '--no-trunc', '-H=false', ref]);
    await same(['history', '-q', ref]);
    await same(['history', '--format', '{{json .}}', ref]);
    await same(['image', 'inspect', ref]);
    await same(['image', 'inspect', '--format', '{{.Id}} {{json .Config.Labels}} {{index .Config.Labels "org.example.role"}}', ref]);
    await same(['inspect', '-f', '{{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}', ref]);
    await same(['image', 'inspect', 'nosuch']);
    await same(['inspect', 'nosuch']);
    await same(['image', 'inspect', '-f', '{{.NoSuch}}', ref]);
    await same(['system', 'df']);
    await same(['system', 'df', '-v']);
    await same(['system', 'df', '--format', '{{.Type}}={{.TotalCount}}']);
  });

  test('tag and rmi print the same and change the daemon the same way', async () => {
    const ref = img('demo/app');
    await same(['tag', ref, 'extra:one']);
    await same(['tag', 'nosuch', 'x']);
    await same(['tag', ref, 'Bad']);
    await same(['tag', ref, 'x@sha256:' + 'a'.repeat(64)]);
    const b = await berth(['rmi', 'extra:one']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, 'Untagged: extra:one\n');
    assert.equal((await berth(['tag', ref, 'extra:two'])).code, 0);
    await same(['rmi', 'nosuch1', 'nosuch2']);
    const d = await dockerCli(['rmi', 'extra:two']);
    assert.equal(d.stdout, 'Untagged: extra:two\n');
  });

  test('save to a file and load it back; stdout refuses a terminal', async () => {
    const tar = join(dir, 'app.tar');
    const s = await berth(['save', '-o', tar, img('demo/app')]);
    assert.equal(s.code, 0, s.stderr);
    assert.ok((await stat(tar)).size > 10_000);
    const viaStdout = await berth(['save', img('demo/app')]);
    assert.equal(viaStdout.code, 0);
    assert.ok(viaStdout.stdout.length > 10_000);
    assert.equal((await berth(['rmi', img('demo/app')])).code, 0);
    const l = await berth(['load', '-i', tar]);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(l.stdout, `Loaded image: ${img('demo/app:latest')}\n`);
    const l2 = await berth(['load'], { input: await readFile(tar) });
    assert.equal(l2.stdout, `Loaded image: ${img('demo/app:latest')}\n`);
    await same(['load', '-i', join(dir, 'nonexist.tar')]);
    await same(['save', '-o', join(dir, 'no/such/dir/x.tar'), img('demo/app')]);
  });

  test('login and logout keep docker\'s config.json', async () => {
    const bcfg = join(dir, 'login-berth');
    const dcfg = join(dir, 'login-docker');
    await Promise.all([mkdir(bcfg), mkdir(dcfg)]);
    const b = await berth(['login', '-u', 'bob', '-p', 'secret', registry.host], { configDir: bcfg });
    const d = await dockerCli(['login', '-u', 'bob', '-p', 'secret', registry.host], { configDir: dcfg });
    assert.equal(b.code, d.code, b.stderr);
    assert.equal(b.stdout, d.stdout);
    assert.equal(b.stderr, d.stderr.replace(dcfg, bcfg));
    const cfg = JSON.parse(await readFile(join(bcfg, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.deepEqual(cfg, JSON.parse(await readFile(join(dcfg, 'config.json'), 'utf8')));
    assert.equal((await stat(join(bcfg, 'config.json'))).mode & 0o777, 0o600);
    // docker reads berth's login and berth reads docker's.
    const out = await berth(['logout', registry.host], { configDir: dcfg });
    assert.equal(out.stdout, `Removing login credentials for ${registry.host}\n`);
    assert.deepEqual(JSON.parse(await readFile(join(dcfg, 'config.json'), 'utf8')).auths, {});
    await same(['login', '--password-stdin', registry.host], { input: 'x\n' });
    await same(['login', '-p', 'x', '--password-stdin', '-u', 'u', registry.host], { input: 'x\n' });
    await same(['login', registry.host]);
  });

  test('usage errors, help and exit codes match docker (with berth for docker)', async () => {
    await same(['images', '--bogus'], { rename: true });
    await same(['images', '-qz'], { rename: true });
    await same(['images', '--format'], { rename: true });
    await same(['images', '--all=garbage'], { rename: true });
    await same(['images', '--filter=garbage'], { rename: true });
    await same(['tag', 'a'], { rename: true });
    await same(['rmi'], { rename: true });
    await same(['history'], { rename: true });
    await same(['load', 'a'], { rename: true });
    await same(['image', 'bogus'], { rename: true });
    await same(['bogus'], { rename: true });
    for (const cmd of [['images'], ['image', 'ls'], ['rmi'], ['image', 'prune'], ['save'], ['load'], ['history'], ['tag'], ['pull'], ['push'], ['login'], ['logout'], ['events'], ['system', 'df'], ['image', 'inspect'], ['info']]) {
      await same([...cmd, '--help'], { rename: true });
    }
  });

  test('events between two times print like docker', async () => {
    const until = String(Math.floor(Date.now() / 1000));
    await same(['events', '--since', '0', '--until', until]);
    await same(['events', '--since', '0', '--until', until, '--filter', 'type=image', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}']);
    await same(['events', '--since', '0', '--until', until, '--format', '{{json .}}']);
  });

  test('info and version: the server sections are docker\'s, line for line', async () => {
    const server = (s: string) => s.slice(s.indexOf('\nServer:'));
    const [bi, di] = await Promise.all([berth(['info']), dockerCli(['info'])]);
    assert.equal(bi.code, 0, bi.stderr);
    assert.equal(server(bi.stdout), server(di.stdout));
    assert.equal(bi.stderr, di.stderr);
    assert.match(bi.stdout, /^Client:\n Version:    0\.1\.0\n Context:    default\n Debug Mode: false\n/);
    const [bv, dv] = await Promise.all([berth(['version']), dockerCli(['version'])]);
    assert.equal(bv.code, 0, bv.stderr);
    assert.equal(server(bv.stdout), server(dv.stdout));
    assert.match(bv.stdout, /^Client:\n Version:           0\.1\.0\n API version:       1\.\d+ \(downgraded from 1\.50\)\n/);
    await same(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}} {{json .Server.Components}}']);
    await same(['info', '--format', '{{.Images}} {{.DockerRootDir}} {{.OSType}} {{.NCPU}} {{.Swarm.LocalNodeState}}']);
    await same(['version', '--format', '{{.Nope}'], { rename: true });
  });

  test('image prune asks first, and -f prunes', async () => {
    await same(['image', 'prune'], { input: 'n\n' });
    await same(['image', 'prune', '-f']);
  });

  test('an unreachable daemon and a bad API version', async () => {
    const b = await berth(['images'], { env: { DOCKER_HOST: 'unix:///tmp/berth-no-such.sock' } });
    assert.equal(b.code, 1);
    assert.equal(b.stderr, 'Cannot connect to the berth daemon at unix:///tmp/berth-no-such.sock. Is the berth daemon running?\n');
    const h = await berth(['-H', 'unix:///tmp/berth-no-such2.sock', 'images'], { env: { BERTH_HOST: daemon.host } });
    assert.match(h.stderr, /berth-no-such2\.sock/);
    const e = await berth(['images', '-q'], { env: { BERTH_HOST: daemon.host, DOCKER_HOST: 'unix:///tmp/berth-no-such.sock' } });
    assert.equal(e.code, 0, e.stderr);
    await same(['images'], { env: { DOCKER_API_VERSION: '1.99' } });
    const v = await berth(['--version']);
    assert.match(v.stdout, /^berth version 0\.1\.0, build [0-9a-f]{7}\n$|^berth version 0\.1\.0, build unknown\n$/);
  });
});

void existsSync; void rm; void writeFile;
