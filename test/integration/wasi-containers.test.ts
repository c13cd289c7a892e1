// WASI containers through berthd, with berth's CLI and the real docker CLI: the built-in hello-wasm
// and a test image holding probe.wasm (test/fixtures/wasi/probe.c, built with Debian's WASI
// toolchain), pulled from a local registry. Args, env, -w, stdin, exit codes, traps, logs, wait,
// kill, stop, --rm, -m and --ulimit cpu, and the verbs a wasm container refuses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { containersMissing, startContainerDaemon } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';
import { runCommand, type RunOptions, type RunResult } from '../helpers/docker-cli.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushTestImage } from '../helpers/test-image.ts';
import { probeFiles } from '../helpers/wasi.ts';
import { berthCliCommand } from '../helpers/berth-cli.ts';

const BERTH_CLI_ARGS = berthCliCommand()!.slice(1);

const skip = containersMissing();
let daemon: TestDaemon;
/** The daemon killed by the restart test: its temp dir holds the data root the second one uses. */
let killed: TestDaemon | undefined;
let registry: TestRegistry;
let probe: string;

function berth(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runCommand(process.execPath, [...BERTH_CLI_ARGS, ...args], {
    ...opts, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', BERTH_HOST: daemon.host, ...opts.env },
  });
}

async function inspect(name: string, format: string): Promise<string> {
  const r = await daemon.docker(['inspect', '-f', format, name]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** Waits until `name` has printed `text` (a module that runs on after it). */
async function logged(name: string, text: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await daemon.docker(['logs', name])).stdout.includes(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${name} never printed ${JSON.stringify(text)}`);
}

before(async () => {
  if (skip) return;
  [daemon, registry] = await Promise.all([startContainerDaemon(), startRegistry()]);
  const image = await buildTestImage({ os: 'wasi', architecture: 'wasm', cmd: ['/probe.wasm', 'args'], layers: [{ files: probeFiles() }] });
  await pushTestImage(registry.url, 'wasi/probe', 'v1', image);
  probe = `${registry.host}/wasi/probe:v1`;
  const pull = await daemon.docker(['pull', '--platform', 'wasi/wasm', probe]);
  assert.equal(pull.code, 0, pull.stderr);
});

after(async () => {
  await daemon?.cleanup();
  await Promise.all([killed?.cleanup(), registry?.stop()]);
});

describe('WASI containers on the Linux host', { skip }, () => {
  test('berth run --rm --platform wasi/wasm hello-wasm prints the greeting and the arguments', async () => {
    const r = await berth(['run', '--rm', '--platform', 'wasi/wasm', 'hello-wasm', 'one', 'two']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Hello from WebAssembly!/);
    assert.ok(r.stdout.endsWith('\none two\n'), JSON.stringify(r.stdout.slice(-30)));
  });

  test('docker run --rm --platform wasi/wasm hello-wasm: the same, and the container is gone', async () => {
    const r = await daemon.docker(['run', '--rm', '--platform', 'wasi/wasm', 'hello-wasm', 'from', 'docker']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /This message comes from \/hello\.wasm/);
    assert.ok(r.stdout.endsWith('\nfrom docker\n'));
    assert.equal((await daemon.docker(['ps', '-aq', '--filter', 'ancestor=hello-wasm'])).stdout.trim(), '');
  });

  test('args, env (-e) and the working dir (-w, as PWD); a file of the image', async () => {
    const args = await daemon.docker(['run', '--rm', probe]);
    assert.equal(args.stdout, 'argv[0]=/probe.wasm\nargv[1]=args\n');
    const env = await berth(['run', '--rm', '-e', 'GREETING=hi there', '-w', '/etc', probe, '/probe.wasm', 'env']);
    assert.equal(env.code, 0, env.stderr);
    const lines = env.stdout.trim().split('\n');
    assert.ok(lines.includes('GREETING=hi there') && lines.includes('PWD=/etc'), env.stdout);
    const cat = await daemon.docker(['run', '--rm', probe, '/probe.wasm', 'cat', '/etc/greeting']);
    assert.equal(cat.stdout, 'hello from the image\n');
  });

  test('stdin (-i) reaches the module; exit codes are passed on', async () => {
    const r = await daemon.docker(['run', '-i', '--rm', probe, '/probe.wasm', 'stdin'], { input: 'piped in' });
    assert.equal(r.stdout, 'ready\npiped in\nread 8 bytes\n');
    const exit = await berth(['run', '--rm', probe, '/probe.wasm', 'exit', '7']);
    assert.equal(exit.code, 7);
    assert.equal(exit.stdout, 'exiting with 7\n');
  });

  test('a trap: exit code 134 and the trap on stderr', async () => {
    const r = await daemon.docker(['run', '--rm', probe, '/probe.wasm', 'trap']);
    assert.equal(r.code, 134);
    assert.equal(r.stdout, 'before the trap\n');
    assert.match(r.stderr, /wasm trap: unreachable/);
  });

  test('run -d, wait and logs (json-file, stdout and stderr apart)', async () => {
    const run = await daemon.docker(['run', '-d', '--name', 'wasi-logs', probe, '/probe.wasm', 'stderr']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await daemon.docker(['wait', 'wasi-logs'])).stdout.trim(), '0');
    const logs = await daemon.docker(['logs', 'wasi-logs']);
    assert.equal(logs.stdout, 'to stdout\n');
    assert.equal(logs.stderr, 'to stderr\n');
    assert.equal(await inspect('wasi-logs', '{{.State.Status}} {{.State.ExitCode}} {{.Platform}}'), 'exited 0 wasi');
    assert.equal((await berth(['rm', 'wasi-logs'])).code, 0);
  });

  test('kill ends a module that never ends with 137, stop with 143', async () => {
    assert.equal((await daemon.docker(['run', '-d', '--name', 'wasi-kill', probe, '/probe.wasm', 'loop'])).code, 0);
    await logged('wasi-kill', 'looping');
    assert.equal((await daemon.docker(['kill', 'wasi-kill'])).code, 0);
    assert.equal(await inspect('wasi-kill', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
    assert.equal((await daemon.docker(['run', '-d', '--name', 'wasi-stop', probe, '/probe.wasm', 'loop'])).code, 0);
    await logged('wasi-stop', 'looping');
    assert.equal((await daemon.docker(['stop', 'wasi-stop'])).code, 0);
    assert.equal(await inspect('wasi-stop', '{{.State.ExitCode}}'), '143');
    assert.equal((await daemon.docker(['rm', 'wasi-kill', 'wasi-stop'])).code, 0);
  });

  test('exec, top and pause are refused: not supported for wasm containers; stats has no sample', async () => {
    assert.equal((await daemon.docker(['run', '-d', '--name', 'wasi-verbs', probe, '/probe.wasm', 'loop'])).code, 0);
    await logged('wasi-verbs', 'looping');
    for (const args of [['exec', 'wasi-verbs', 'x'], ['top', 'wasi-verbs'], ['pause', 'wasi-verbs']]) {
      const r = await daemon.docker(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, /not supported for wasm containers/, `${args.join(' ')}: ${r.stderr}`);
    }
    // As dockerd with a runtime that gives no stats: no sample, not zeros. docker stats gives up on a container it was
    // named once its wait is over (streaming or not); of all running containers it shows `--` for it.
    for (const args of [['--no-stream', 'wasi-verbs'], ['wasi-verbs']]) {
      for (const r of [await daemon.docker(['stats', ...args]), await berth(['stats', ...args])]) {
        assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'timeout waiting for stats\n'], args.join(' '));
      }
    }
    const format = ['--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.NetIO}} {{.PIDs}}'];
    for (const r of [await daemon.docker(['stats', '--no-stream', ...format]), await berth(['stats', '--no-stream', ...format])]) {
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, '-- -- -- / -- -- --\n', '']);
    }
    const id = await inspect('wasi-verbs', '{{.Id}}');
    assert.match(daemon.logs(), new RegExp(`collecting stats for ${id}: stats is not supported for wasm containers`));
    const oneShot = await daemon.request('GET', '/containers/wasi-verbs/stats?stream=false&one-shot=true');
    assert.equal(oneShot.status, 501, oneShot.body);
    assert.match(oneShot.body, /not supported for wasm containers/);
    assert.equal((await daemon.docker(['rm', '-f', 'wasi-verbs'])).code, 0);
  });

  test('a missing module: exit 127 and Docker\'s "no such file or directory"', async () => {
    const r = await daemon.docker(['run', '--rm', probe, '/nothing.wasm']);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /exec: "\/nothing\.wasm": stat \/nothing\.wasm: no such file or directory/);
  });

  test('-m caps the module\'s memory; --ulimit cpu=1 ends one that never ends (SIGXCPU, 152)', async () => {
    const grow = await daemon.docker(['run', '--rm', '-m', '8m', probe, '/probe.wasm', 'grow', '32']);
    assert.equal(grow.code, 3);
    assert.match(grow.stdout, /^allocated [0-7] MiB of 32\n$/);
    const loop = await berth(['run', '--rm', '--ulimit', 'cpu=1', probe, '/probe.wasm', 'loop']);
    assert.equal(loop.code, 152);
    assert.match(loop.stderr, /time limit \(--ulimit cpu=1\)/);
  });

  test('start -a runs an exited wasm container again; cp reads the image\'s files', async () => {
    const first = await daemon.docker(['run', '--name', 'wasi-again', probe, '/probe.wasm', 'cat', '/etc/greeting']);
    assert.equal(first.stdout, 'hello from the image\n');
    const again = await daemon.docker(['start', '-a', 'wasi-again']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'hello from the image\n');
    const cp = await daemon.docker(['cp', 'wasi-again:/etc/greeting', '-']);
    assert.equal(cp.code, 0, cp.stderr);
    assert.match(cp.stdout, /hello from the image/);
    assert.equal((await daemon.docker(['rm', 'wasi-again'])).code, 0);
  });

  test('berthd killed: a running module ended with it (255, said why); --restart always starts it again', async () => {
    assert.equal((await daemon.docker(['run', '-d', '--name', 'wasi-running', probe, '/probe.wasm', 'loop'])).code, 0);
    assert.equal((await daemon.docker(['run', '-d', '--name', 'wasi-always', '--restart', 'always', probe, '/probe.wasm', 'loop'])).code, 0);
    await logged('wasi-running', 'looping');
    killed = daemon;
    killed.process.kill('SIGKILL');
    await new Promise((r) => killed!.process.once('exit', r));
    daemon = await startContainerDaemon({ dataRoot: killed.dataRoot });
    assert.equal(await inspect('wasi-running', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 255');
    assert.match(await inspect('wasi-running', '{{.State.Error}}'), /stopped while it ran/);
    for (let i = 0; i < 100 && (await inspect('wasi-always', '{{.State.Status}}')) !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await inspect('wasi-always', '{{.State.Status}}'), 'running');
    assert.equal((await daemon.docker(['rm', '-f', 'wasi-running', 'wasi-always'])).code, 0);
  });
});
