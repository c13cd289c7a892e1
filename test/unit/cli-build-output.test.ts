// `berth build` end to end against a recorded daemon: the request docker 28 sends (query, headers), the
// streams a real dockerd answered with printed byte for byte as docker printed them (stdout, stderr,
// exit code, -q, --iidfile), flag errors, and the live per-step view on a terminal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../core/cli/cli.ts';
import type { CliHost } from '../../core/cli/host.ts';
import type { LocalTree } from '../../core/cli/build/local-tree.ts';
import type { JSONMessage } from '../../core/cli/json-message.ts';
import { buildQuery, defaultBuildRequestOptions, registryConfigHeader, withProxyArgs } from '../../core/cli/build/build-request.ts';
import { StepView } from '../../core/cli/build/step-view.ts';
import { sendingLine, uploadProgress } from '../../core/cli/build/upload-progress.ts';
import { encodeQuery } from '../../core/cli/api-client.ts';
import { nodeFiles } from '../../host-linux/cli/node-host.ts';
import { nodeLocalTree } from '../../host-linux/cli/local-tree.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/cli-build');
const fixture = (name: string) => readFile(join(FIXTURES, name), 'utf8');

interface Sent { url: URL; headers: Headers; body: Uint8Array }

interface Run { code: number; stdout: string; stderr: string; sent: Sent[] }

/** Runs `berth ARGS` with a daemon that answers every build with `stream`. */
async function berth(args: string[], opts: { stream?: string; tty?: boolean; env?: Record<string, string>; stdin?: string; home: string; tree?: LocalTree }): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const sent: Sent[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    if (url.pathname.endsWith('/_ping')) return new Response('OK', { headers: { 'Api-Version': '1.41', 'Ostype': 'linux' } });
    // Like dockerd, the whole context is read before the answer starts.
    const body = new Uint8Array(await new Response(init?.body as BodyInit).arrayBuffer());
    sent.push({ url, headers: new Headers(init?.headers), body });
    return new Response(opts.stream ?? '', { headers: { 'Content-Type': 'application/json' } });
  };
  const host: CliHost = {
    stdout: { isTTY: !!opts.tty, write: async (d) => { stdout += typeof d === 'string' ? d : new TextDecoder().decode(d); } },
    stderr: { isTTY: false, write: async (d) => { stderr += typeof d === 'string' ? d : new TextDecoder().decode(d); } },
    stdin: {
      isTTY: opts.stdin === undefined,
      stream: () => new Blob([opts.stdin ?? '']).stream(),
      readLine: async () => undefined,
    },
    env: { DOCKER_CONFIG: join(opts.home, 'config'), DOCKER_HOST: 'unix:///fake.sock', ...opts.env },
    daemonFetch: () => fetch,
    files: nodeFiles,
    homeDir: opts.home,
    terminalWidth: () => (opts.tty ? 80 : undefined),
    build: { version: '0.1.0', commit: 'test', os: 'linux', arch: 'amd64', runtime: 'test' },
    localTree: opts.tree ?? nodeLocalTree,
  };
  const code = await runCli(args, host);
  return { code, stdout, stderr, sent };
}

let dir: string;
let ctx: string;
before(async () => {
  dir = await tempDir('cli-build-out-');
  // The context the recorded streams were built from: 3.072kB as a tar.
  ctx = join(dir, 'c1');
  await mkdir(ctx);
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo hello && echo world\nENV A=b\nLABEL x=y\n');
  await writeFile(join(ctx, 'file.txt'), 'hi\n');
});
after(async () => { await removeDir(dir); });

describe('what is printed, as docker 28 printed the same streams', () => {
  for (const [name, code] of [['run', 0], ['cached', 0], ['fail', 3], ['pull', 0]] as const) {
    test(`${name}: stdout, stderr and exit code`, async () => {
      const stream = await fixture(`dockerd-${name}.stream`);
      const r = await berth(['build', '--iidfile', join(dir, `iid-${name}`), ctx], { stream, home: dir });
      assert.equal(r.stdout, await fixture(`docker-${name}.stdout`));
      assert.equal(r.stderr, await fixture(`docker-${name}.stderr`).catch(() => ''));
      assert.equal(r.code, code);
      const iid = await readFile(join(dir, `iid-${name}`), 'utf8').catch(() => undefined);
      // The ID of the `aux` message, without a newline.
      assert.equal(iid, code === 0 ? /"aux":\{"ID":"(sha256:[0-9a-f]{64})"/.exec(stream)![1] : undefined);
    });
  }

  test('-q prints only what the daemon sent (the ID), and everything on stderr when the build fails', async () => {
    const ok = await berth(['build', '-q', '--iidfile', join(dir, 'iid-q'), ctx], { stream: await fixture('dockerd-quiet.stream'), home: dir });
    assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, await fixture('docker-quiet.stdout'), '']);
    // docker's quirk: with -q the file gets the ID as printed, newline and all.
    assert.equal(await readFile(join(dir, 'iid-q'), 'utf8'), await fixture('docker-quiet.stdout'));
    assert.equal(ok.sent[0]!.url.searchParams.get('q'), '1');
    const failed = await berth(['build', '-q', ctx], { stream: await fixture('dockerd-fail.stream'), home: dir });
    assert.deepEqual([failed.code, failed.stdout, failed.stderr], [3, '', await fixture('docker-qfail.stderr')]);
  });

  test('a stale --iidfile is removed before a build that fails', async () => {
    const iid = join(dir, 'stale-iid');
    await writeFile(iid, 'sha256:old');
    const r = await berth(['build', '--iidfile', iid, ctx], { stream: await fixture('dockerd-fail.stream'), home: dir });
    assert.equal(r.code, 3);
    await assert.rejects(readFile(iid), { code: 'ENOENT' });
  });
});

describe('the request', () => {
  test('the query and headers docker 28 sent for the same flags', async () => {
    const r = await berth([
      'build', '-t', 'a:1', '-t', 'b', '--build-arg', 'X=1', '--build-arg', 'HOME', '--build-arg', 'NOPE', '--label', 'l1=v', '--label', 'l2',
      '--target', 't', '--no-cache', '--pull', '--network', 'host', '--cache-from', 'c1', '--cache-from', 'c2,c3', '--platform', 'linux/AMD64',
      '--shm-size', '64m', '--force-rm', ctx,
    ], { stream: await fixture('dockerd-quiet.stream'), env: { HOME: '/root' }, home: dir });
    assert.equal(r.code, 0, r.stderr);
    const sent = r.sent[0]!;
    // Recorded from `DOCKER_BUILDKIT=0 docker build` with the same flags (docker 28.2.2).
    assert.equal(sent.url.pathname + sent.url.search, '/v1.41/build?buildargs=%7B%22HOME%22%3A%22%2Froot%22%2C%22NOPE%22%3Anull%2C%22X%22%3A%221%22%7D&cachefrom=%5B%22c1%22%2C%22c2%22%2C%22c3%22%5D&dockerfile=Dockerfile&forcerm=1&labels=%7B%22l1%22%3A%22v%22%2C%22l2%22%3A%22%22%7D&networkmode=host&nocache=1&platform=linux%2Famd64&pull=1&shmsize=67108864&t=a%3A1&t=b&target=t&version=1');
    assert.equal(sent.headers.get('content-type'), 'application/x-tar');
    assert.equal(sent.headers.get('x-registry-config'), 'e30=');
    assert.equal(sent.body.byteLength, 3072);
  });

  test('resource flags, --rm=false, and the defaults left out', () => {
    const o = { ...defaultBuildRequestOptions(), dockerfile: 'Dockerfile', quiet: true, cpuShares: 5, cpuPeriod: 100000, cpuQuota: 5000, cpusetCpus: '0', cpusetMems: '0',
      cgroupParent: 'cg', memory: 67108864, memorySwap: -1, isolation: 'default', extraHosts: ['a:1.2.3.4'], ulimits: [{ Name: 'nofile', Hard: 20, Soft: 10 }],
      securityOpt: ['seccomp=unconfined'], networkMode: 'default' };
    // docker 28.2.2 with the same flags (the URL decoded).
    assert.equal(decodeURIComponent(encodeQuery(buildQuery(o))), '?cgroupparent=cg&cpuperiod=100000&cpuquota=5000&cpusetcpus=0&cpusetmems=0&cpushares=5&dockerfile=Dockerfile&extrahosts=a:1.2.3.4&memory=67108864&memswap=-1&q=1&securityopt=seccomp=unconfined&ulimits=[{"Name":"nofile","Hard":20,"Soft":10}]&version=1');
    assert.equal(encodeQuery(buildQuery({ ...defaultBuildRequestOptions(), rm: false, dockerfile: 'Dockerfile' })), '?dockerfile=Dockerfile&rm=0&version=1');
  });

  test('proxies from the client config become build args; every login goes in X-Registry-Config', () => {
    const proxies = { default: { httpProxy: 'http://p:3128', noProxy: 'localhost' }, 'unix:///other.sock': { httpsProxy: 'x' } };
    assert.deepEqual(withProxyArgs({ http_proxy: 'x' }, proxies, 'unix:///var/run/docker.sock'), { http_proxy: 'x', HTTP_PROXY: 'http://p:3128', NO_PROXY: 'localhost', no_proxy: 'localhost' });
    assert.deepEqual(withProxyArgs({}, proxies, 'unix:///other.sock'), { HTTPS_PROXY: 'x', https_proxy: 'x' });
    // What docker 28 sent for a config with these two logins.
    assert.equal(registryConfigHeader({ 'https://index.docker.io/v1/': { username: 'hub', password: 'secret' }, '127.0.0.1:5000': { username: 'user', password: 'pass' } }),
      'eyIxMjcuMC4wLjE6NTAwMCI6eyJ1c2VybmFtZSI6InVzZXIiLCJwYXNzd29yZCI6InBhc3MiLCJzZXJ2ZXJhZGRyZXNzIjoiMTI3LjAuMC4xOjUwMDAifSwiaHR0cHM6Ly9pbmRleC5kb2NrZXIuaW8vdjEvIjp7InVzZXJuYW1lIjoiaHViIiwicGFzc3dvcmQiOiJzZWNyZXQiLCJzZXJ2ZXJhZGRyZXNzIjoiaHR0cHM6Ly9pbmRleC5kb2NrZXIuaW8vdjEvIn19');
  });

  test('the logins and proxies of config.json reach the request', async () => {
    const home = join(dir, 'withconfig');
    await mkdir(join(home, 'config'), { recursive: true });
    await writeFile(join(home, 'config/config.json'), JSON.stringify({
      auths: { '127.0.0.1:5000': { auth: Buffer.from('user:pass').toString('base64') } },
      proxies: { default: { httpProxy: 'http://p:3128' } },
    }));
    const r = await berth(['build', ctx], { stream: await fixture('dockerd-quiet.stream'), home });
    const sent = r.sent[0]!;
    assert.equal(sent.url.searchParams.get('buildargs'), '{"HTTP_PROXY":"http://p:3128","http_proxy":"http://p:3128"}');
    assert.deepEqual(JSON.parse(Buffer.from(sent.headers.get('x-registry-config')!, 'base64url').toString()), { '127.0.0.1:5000': { username: 'user', password: 'pass', serveraddress: '127.0.0.1:5000' } });
  });

  test('-f outside the context and -f - send the Dockerfile as .dockerfile.<hex>', async () => {
    await writeFile(join(dir, 'outside.df'), 'FROM busybox\n');
    const outside = await berth(['build', '-f', join(dir, 'outside.df'), ctx], { stream: await fixture('dockerd-quiet.stream'), home: dir });
    assert.match(outside.sent[0]!.url.searchParams.get('dockerfile')!, /^\.dockerfile\.[0-9a-f]{20}$/);
    const stdin = await berth(['build', '-f', '-', ctx], { stream: await fixture('dockerd-quiet.stream'), stdin: 'FROM busybox\n', home: dir });
    assert.match(stdin.sent[0]!.url.searchParams.get('dockerfile')!, /^\.dockerfile\.[0-9a-f]{20}$/);
    const tarFromStdin = await berth(['build', '-'], { stream: await fixture('dockerd-quiet.stream'), stdin: 'FROM busybox\n', home: dir });
    assert.equal(tarFromStdin.sent[0]!.url.searchParams.get('dockerfile'), 'Dockerfile');
    assert.equal(tarFromStdin.stdout.split('\n')[0], 'Sending build context to Docker daemon  2.048kB\r\r');
  });
});

describe('bad input', () => {
  const usage = "\n\nUsage:  berth build [OPTIONS] PATH | URL | -\n\nRun 'berth build --help' for more information\n";
  for (const [args, stderr, code] of [
    [['--progress=fancy', '.'], `invalid argument "fancy" for "--progress" flag: must be one of auto, plain, tty${usage}`, 125],
    [['-t', 'BAD:tag', '.'], `invalid argument "BAD:tag" for "-t, --tag" flag: invalid reference format: repository name (library/BAD) must be lowercase${usage}`, 125],
    [['--build-arg', '=x', '.'], `invalid argument "=x" for "--build-arg" flag: invalid environment variable: =x${usage}`, 125],
    [['--label', '=x', '.'], `invalid argument "=x" for "--label" flag: invalid label '=x': empty name${usage}`, 125],
    [['--shm-size', 'abc', '.'], `invalid argument "abc" for "--shm-size" flag: invalid size: 'abc'${usage}`, 125],
    [['--bogus', '.'], `unknown flag: --bogus${usage}`, 125],
    [['a', 'b'], "berth: 'berth build' requires 1 argument\n\nUsage:  berth build [OPTIONS] PATH | URL | -\n\nRun 'berth build --help' for more information\n", 1],
    [['-f', '-', '-'], "invalid argument: can't use stdin for both build context and dockerfile\n", 1],
    [['/no/such/dir'], 'unable to prepare context: path "/no/such/dir" not found\n', 1],
  ] as const) {
    test(`berth build ${args.join(' ')}`, async () => {
      const r = await berth(['build', ...args], { home: dir });
      assert.deepEqual([r.stderr, r.code, r.sent.length], [stderr, code, 0]);
    });
  }

  test('a file that fails while it is sent: the context\'s error, not the daemon\'s', async () => {
    const tree: LocalTree = {
      ...nodeLocalTree,
      open: async (p) => (p.endsWith('/file.txt') ? new ReadableStream({ pull(c) { c.error(new Error(`read ${p}: input/output error`)); } }) : nodeLocalTree.open(p)),
    };
    const r = await berth(['build', ctx], { stream: await fixture('dockerd-quiet.stream'), home: dir, tree });
    assert.deepEqual([r.stderr, r.code], [`error sending the build context: read ${join(ctx, 'file.txt')}: input/output error\n`, 1]);
  });

  test('a missing -f file', async () => {
    const r = await berth(['build', '-f', join(dir, 'nofile'), ctx], { home: dir });
    assert.deepEqual([r.stderr, r.code], [`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${join(dir, 'nofile')}: no such file or directory\n`, 1]);
  });
});

describe('upload progress', () => {
  async function through(isTerminal: boolean, chunks: number[]): Promise<string[]> {
    const lines: string[] = [];
    let t = 0;
    const progress = uploadProgress({ isTerminal, write: (s) => { lines.push(s); }, now: () => (t += 1000) });
    await new Blob(chunks.map((n) => new Uint8Array(n))).stream().pipeThrough(progress).pipeTo(new WritableStream());
    return lines;
  }

  test('off a terminal only the total; on one a redraw every 512kB', async () => {
    assert.deepEqual(await through(false, [600 * 1024, 600 * 1024]), ['Sending build context to Docker daemon  1.229MB\r\r\n']);
    const tty = await through(true, [600 * 1024, 600 * 1024, 100]);
    assert.equal(tty.at(-1), `${sendingLine(1228900)}\r\n`);
    assert.ok(tty.length >= 2 && tty.slice(0, -1).every((l) => /^Sending build context to Docker daemon {2}\S+\r$/.test(l)), JSON.stringify(tty));
    assert.equal(sendingLine(512), 'Sending build context to Docker daemon     512B\r');
  });
});

/** A terminal screen: applies what the view writes (newlines, \r, cursor up, clear to end). */
function applyToScreen(screen: string[], state: { row: number }, text: string): void {
  const re = /\r|\n|\x1b\[(\d*)A|\x1b\[J|[^\r\n\x1b]+/g;
  for (const m of text.match(re) ?? []) {
    if (m === '\r') continue;
    if (m === '\n') { state.row++; continue; }
    if (m === '\x1b[J') { screen.length = state.row; continue; }
    const up = /^\x1b\[(\d*)A$/.exec(m);
    if (up) { state.row -= Number(up[1] || 1); continue; }
    screen[state.row] = (screen[state.row] ?? '') + m;
  }
}

function messages(stream: string): JSONMessage[] {
  return stream.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l) as JSONMessage);
}

describe('the live step view', () => {
  test('the running step shows its last lines; finished steps collapse to one line with their time', async () => {
    let now = 0;
    const view = new StepView({ width: () => 60, now: () => now, tail: 2 });
    const screen: string[] = [];
    const state = { row: 0 };
    const frames: string[][] = [];
    for (const jm of messages(await fixture('dockerd-run.stream'))) {
      now += 100;
      applyToScreen(screen, state, view.message(jm));
      frames.push([...screen]);
    }
    applyToScreen(screen, state, view.finish(false));
    // While step 2 ran, its header and its output were on screen.
    assert.ok(frames.some((f) => f.at(-3)?.startsWith(' => Step 2/4 : RUN echo hello && echo world') && f.at(-2) === '    hello' && f.at(-1) === '    world'), JSON.stringify(frames));
    // One row each, short of the last column so that no terminal wraps them.
    assert.deepEqual(screen.slice(0, 4).map((l) => l.length), [59, 59, 59, 59]);
    assert.deepEqual(screen.map((l) => l.replace(/ +\d+\.\ds$/, '')), [
      ' => Step 1/4 : FROM busybox', ' => Step 2/4 : RUN echo hello && echo world', ' => Step 3/4 : ENV A=b', ' => Step 4/4 : LABEL x=y',
      'Successfully built ac9562e9d620', 'Successfully tagged rec:latest',
    ]);
    // Step 1 took three messages (its header, its newline, its ID) at 100ms each.
    assert.match(screen[0]!, / 0\.3s$/);
  });

  test('cached steps are marked; a failed step stays open with its output', async () => {
    let now = 0;
    const cached = new StepView({ width: () => 60, now: () => (now += 50) });
    const screen: string[] = [];
    const state = { row: 0 };
    for (const jm of messages(await fixture('dockerd-cached.stream'))) applyToScreen(screen, state, cached.message(jm));
    applyToScreen(screen, state, cached.finish(false));
    assert.deepEqual(screen.slice(0, 4).map((l) => l.replace(/ +\d+\.\ds$/, '')), [
      ' => Step 1/4 : FROM busybox', ' => CACHED Step 2/4 : RUN echo hello && echo world', ' => CACHED Step 3/4 : ENV A=b', ' => CACHED Step 4/4 : LABEL x=y',
    ]);

    const failing = new StepView({ width: () => 70, now: () => (now += 50) });
    const failScreen: string[] = [];
    const failState = { row: 0 };
    for (const jm of messages(await fixture('dockerd-fail.stream'))) if (!jm.errorDetail) applyToScreen(failScreen, failState, failing.message(jm));
    applyToScreen(failScreen, failState, failing.finish(true));
    assert.deepEqual(failScreen.map((l) => l.replace(/ +\d+\.\ds$/, '')), [' => Step 1/2 : FROM busybox', ' => ERROR Step 2/2 : RUN echo out; echo err >&2; exit 3', '    err', '    out']);
  });

  test('a base image pulled during FROM: one line per layer under the step, updated in place', async () => {
    let now = 0;
    const view = new StepView({ width: () => 100, now: () => (now += 10) });
    const screen: string[] = [];
    const state = { row: 0 };
    const frames: string[][] = [];
    for (const jm of messages(await fixture('dockerd-pull.stream'))) {
      applyToScreen(screen, state, view.message(jm));
      frames.push([...screen]);
    }
    applyToScreen(screen, state, view.finish(false));
    const downloading = frames.find((f) => f.some((l) => l.startsWith('    6e8775e6f9f2: Downloading')));
    assert.ok(downloading, JSON.stringify(frames));
    assert.match(downloading[0]!, /^ => Step 1\/2 : FROM 127\.0\.0\.1:5077\/base +\d+\.\ds$/);
    assert.deepEqual(downloading.slice(1), ['    latest: Pulling from base', '    d7f0cde8a187: Already exists', '    6e8775e6f9f2: Downloading  32.77kB/3.073MB']);
    const pulled = frames.find((f) => f.some((l) => l.startsWith('    Status: Downloaded')))!;
    assert.deepEqual(pulled.slice(-5), [
      '    latest: Pulling from base', '    d7f0cde8a187: Already exists', '    6e8775e6f9f2: Pull complete',
      '    Digest: sha256:b278234d417c331cc651a1fd0cdbc0d9c05719369bc09190279988ff93b0d825', '    Status: Downloaded newer image for 127.0.0.1:5077/base:latest',
    ]);
    assert.deepEqual(screen.map((l) => l.replace(/ +\d+\.\ds$/, '')), [
      ' => Step 1/2 : FROM 127.0.0.1:5077/base', ' => Step 2/2 : RUN wc -c /blob', 'Successfully built 8cdfe2ae4894', 'Successfully tagged pulled:latest',
    ]);
  });

  test('on a terminal berth build shows the view, and the error after it', async () => {
    const r = await berth(['build', ctx], { stream: await fixture('dockerd-fail.stream'), tty: true, home: dir });
    assert.equal(r.code, 3);
    assert.match(r.stdout, / => ERROR Step 2\/2 : RUN echo out; echo err >&2; exit 3 +\d+\.\ds\n {4}err\n {4}out\n$/);
    assert.equal(r.stderr, "The command '/bin/sh -c echo out; echo err >&2; exit 3' returned a non-zero code: 3\n");
    const plain = await berth(['build', '--progress=plain', ctx], { stream: await fixture('dockerd-fail.stream'), tty: true, home: dir });
    assert.equal(plain.stdout, await fixture('docker-fail.stdout'));
  });
});
