// core/wasi's runtime run directly in Node: a real module (probe.c built with wasi-libc) in real
// worker_threads workers, through the ContainerTask interface the engine uses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WasiRuntime } from '../../core/wasi/runtime.ts';
import { WasiProcess } from '../../core/wasi/process.ts';
import { WorkerPool } from '../../core/wasi/worker-pool.ts';
import { MemoryLogs } from '../../core/wasi/logs.ts';
import { rootfsFile, rootfsFromLayers, rootfsHas } from '../../core/wasi/rootfs.ts';
import { capMemory, declaredMemories, WASM_PAGE } from '../../core/wasi/memory-limit.ts';
import { newRecord } from '../../core/engine/containers/record.ts';
import type { ContainerImage, ContainerTask, LogEntry } from '../../core/engine/containers/runtime.ts';
import type { ContainerRecord, CreateBody } from '../../core/engine/containers/types.ts';
import type { ImageConfig } from '../../core/image/types.ts';
import { spawnNodeWasiWorker } from '../../host-linux/runtime/wasi-spawn.ts';
import { layerTar, probeFiles, probeWasm } from '../helpers/wasi.ts';

const dec = new TextDecoder();
const enc = new TextEncoder();

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } });
}

/** Splits Docker's multiplexed frames into stdout and stderr text. */
function demux(bytes: Uint8Array): { stdout: string; stderr: string } {
  let stdout = ''; let stderr = '';
  for (let off = 0; off + 8 <= bytes.length;) {
    const size = new DataView(bytes.buffer, bytes.byteOffset + off + 4, 4).getUint32(0);
    const text = dec.decode(bytes.subarray(off + 8, off + 8 + size));
    if (bytes[off] === 1) stdout += text; else stderr += text;
    off += 8 + size;
  }
  return { stdout, stderr };
}

/** All of a stream; `onChunk` (when given) sees everything so far after each chunk. */
async function readAll(stream: ReadableStream<Uint8Array>, onChunk?: (all: Uint8Array) => void): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const joined = (): Uint8Array => {
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of chunks) { out.set(c, off); off += c.length; }
    return out;
  };
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    chunks.push(r.value);
    onChunk?.(joined());
  }
  return joined();
}

let layers: Uint8Array[];
let runtime: WasiRuntime;
const logs = new MemoryLogs();
let seq = 0;

const imageConfig = (): ImageConfig => ({
  architecture: 'wasm', os: 'wasi', config: { Entrypoint: ['/probe.wasm'] }, rootfs: { type: 'layers', diff_ids: ['sha256:probe'] },
} as ImageConfig);
const image = (): ContainerImage => ({ id: 'sha256:probe-image', config: imageConfig(), diffIDs: ['sha256:probe'] });

function record(body: Partial<CreateBody>): ContainerRecord {
  const id = `${(++seq).toString(16).padStart(4, '0')}${'0'.repeat(60)}`;
  return newRecord({ id, name: `/wasi-${seq}`, body: { Image: 'probe', ...body } as CreateBody, image: { id: image().id, config: imageConfig() }, now: new Date() });
}

interface RunResult { stdout: string; stderr: string; exitCode: number; signal: number | null | undefined; task: ContainerTask }

async function run(cmd: string[], opts: { body?: Partial<CreateBody>; stdin?: (task: ContainerTask, w: WritableStreamDefaultWriter<Uint8Array>, seen: () => string) => Promise<void>; untilOutput?: string; whileRunning?: (task: ContainerTask) => Promise<void> } = {}): Promise<RunResult & { rec: ContainerRecord }> {
  const rec = record({ Cmd: cmd, ...(opts.stdin ? { OpenStdin: true, StdinOnce: true } : {}), ...opts.body });
  const task = await runtime.create(rec, image(), { stdin: !!opts.stdin, stdinOnce: !!opts.stdin, tty: false });
  const pair = await task.attach();
  let text = '';
  let sawOutput!: () => void;
  const seenOutput = new Promise<void>((r) => { sawOutput = r; });
  // Only tests that wait for some output look at it as it comes (a flood would make this quadratic).
  const watch = opts.untilOutput !== undefined || opts.stdin !== undefined;
  const output = readAll(pair.readable, watch ? (all) => {
    const d = demux(all);
    text = d.stdout + d.stderr;
    if (opts.untilOutput && text.includes(opts.untilOutput)) sawOutput();
  } : undefined);
  await task.start();
  const writer = pair.writable.getWriter();
  if (opts.stdin) await opts.stdin(task, writer, () => text);
  else await writer.close();
  if (opts.whileRunning) { await seenOutput; await opts.whileRunning(task); }
  const status = await task.wait();
  const { stdout, stderr } = demux(await output);
  return { stdout, stderr, exitCode: status.exitCode, signal: status.signal, task, rec };
}

before(async () => {
  layers = [await layerTar(probeFiles())];
  runtime = new WasiRuntime({ spawnWorker: spawnNodeWasiWorker, layers: async () => layers.map(streamOf), logs });
});
after(() => runtime.close());

describe('WASI runtime (core/wasi) in Node', () => {
  test('argv is the entrypoint and cmd as Docker forms them, argv[0] the module path', async () => {
    const r = await run(['args', 'one', 'two words']);
    assert.equal(r.stdout, 'argv[0]=/probe.wasm\nargv[1]=args\nargv[2]=one\nargv[3]=two words\n');
    assert.equal(r.exitCode, 0);
  });

  test('env: the image and -e variables, HOSTNAME, PATH, and PWD from the working dir', async () => {
    const r = await run(['env'], { body: { Env: ['FOO=bar baz'], WorkingDir: '/etc' } });
    const env = r.stdout.trim().split('\n');
    assert.ok(env.includes('FOO=bar baz'), r.stdout);
    assert.ok(env.includes('PWD=/etc'), r.stdout);
    assert.ok(env.some((e) => e.startsWith('PATH=')), r.stdout);
    assert.ok(env.includes(`HOSTNAME=${r.rec.Config.Hostname}`), r.stdout);
  });

  test('reads a file of the image; a missing file is the program\'s own error', async () => {
    assert.equal((await run(['cat', '/etc/greeting'])).stdout, 'hello from the image\n');
    const missing = await run(['cat', '/etc/nothing']);
    assert.equal(missing.exitCode, 2);
    assert.match(missing.stderr, /\/etc\/nothing: No such file or directory/);
  });

  test('writes stay in the container: the next container sees the image as it was', async () => {
    const w = await run(['write', '/etc/greeting', 'changed']);
    assert.equal(w.stdout, 'changed');
    assert.equal((await run(['cat', '/etc/greeting'])).stdout, 'hello from the image\n');
  });

  test('stdout and stderr are separate streams and are logged line by line', async () => {
    const r = await run(['stderr']);
    assert.equal(r.stdout, 'to stdout\n');
    assert.equal(r.stderr, 'to stderr\n');
    const entries: LogEntry[] = [];
    for await (const e of runtime.readLogs(r.rec, { follow: false, signal: new AbortController().signal, stopped: Promise.resolve() })) entries.push(e);
    assert.deepEqual(entries.map((e) => [e.stream, dec.decode(e.line)]), [['stdout', 'to stdout\n'], ['stderr', 'to stderr\n']]);
  });

  test('stdin streams in while output streams out live', async () => {
    const r = await run(['stdin'], {
      stdin: async (_task, w, seen) => {
        // The module prints `ready` and then blocks reading stdin: output must arrive before stdin ends.
        while (!seen().includes('ready')) await new Promise((res) => setTimeout(res, 10));
        await w.write(enc.encode('abc'));
        await w.write(enc.encode('def'));
        await w.close();
      },
    });
    assert.equal(r.stdout, 'ready\nabcdef\nread 6 bytes\n');
    assert.equal(r.exitCode, 0);
  });

  test('stdin larger than the ring buffer arrives whole', async () => {
    const big = new Uint8Array(300_000).fill(0x61);
    const r = await run(['stdin'], { stdin: async (_t, w) => { await w.write(big); await w.close(); } });
    assert.ok(r.stdout.endsWith('\nread 300000 bytes\n'), r.stdout.slice(-40));
  });

  test('-it: output as a pty gives it (\\r\\n), input echoed and edited line by line, ctrl-d ends it', async () => {
    const rec = record({ Cmd: ['stdin'], Tty: true, OpenStdin: true, StdinOnce: true });
    const task = await runtime.create(rec, image(), { stdin: true, stdinOnce: true, tty: true });
    const pair = await task.attach();
    let seen = '';
    const output = readAll(pair.readable, (all) => { seen = dec.decode(all); });
    await task.start();
    const w = pair.writable.getWriter();
    while (!seen.includes('ready')) await new Promise((res) => setTimeout(res, 10));
    await w.write(enc.encode('ab\x7fc\r'));
    await w.write(enc.encode('\x04'));
    const status = await task.wait();
    assert.equal(dec.decode(await output), 'ready\r\nab\b \bc\r\nac\r\n\r\nread 3 bytes\r\n');
    assert.equal(status.exitCode, 0);
  });

  test('-it: ctrl-c is SIGINT (130)', async () => {
    const rec = record({ Cmd: ['stdin'], Tty: true, OpenStdin: true });
    const task = await runtime.create(rec, image(), { stdin: true, stdinOnce: false, tty: true });
    const pair = await task.attach();
    let seen = '';
    const output = readAll(pair.readable, (all) => { seen = dec.decode(all); });
    await task.start();
    while (!seen.includes('ready')) await new Promise((res) => setTimeout(res, 10));
    await pair.writable.getWriter().write(enc.encode('\x03'));
    assert.equal((await task.wait()).exitCode, 130);
    assert.ok(dec.decode(await output).endsWith('^C\r\n'));
  });

  test('output faster than the engine takes it arrives whole (the module waits, as on a full pipe)', async () => {
    const r = await run(['flood', '16']);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.length, 16 * 1024 * 1024);
    assert.equal(r.stdout.replaceAll(`${'y'.repeat(63)}\n`, ''), '');
  });

  test('the exit code is proc_exit\'s', async () => {
    const r = await run(['exit', '42']);
    assert.equal(r.exitCode, 42);
    assert.equal(r.stdout, 'exiting with 42\n');
  });

  test('a trap: wasmtime\'s message on stderr and exit code 134', async () => {
    const r = await run(['trap']);
    assert.equal(r.stdout, 'before the trap\n');
    assert.equal(r.exitCode, 134);
    assert.match(r.stderr, /failed to run main module `\/probe\.wasm`[\s\S]*wasm trap: unreachable/);
  });

  test('kill: SIGTERM ends a module with 143, SIGKILL with 137; SIGWINCH is ignored', async () => {
    const term = await run(['loop'], { untilOutput: 'looping', whileRunning: async (t) => { await t.kill(28); await t.kill(15); } });
    assert.equal(term.exitCode, 143);
    assert.equal(term.signal, 15);
    const kill = await run(['loop'], { untilOutput: 'looping', whileRunning: (t) => t.kill(9) });
    assert.equal(kill.exitCode, 137);
  });

  test('--ulimit cpu=1 ends a module that never ends (SIGXCPU, 152) with a message', async () => {
    const r = await run(['loop'], { body: { HostConfig: { Ulimits: [{ Name: 'cpu', Soft: 1, Hard: 1 }] } } });
    assert.equal(r.exitCode, 152);
    assert.match(r.stderr, /time limit \(--ulimit cpu=1\)/);
  });

  test('--ulimit cpu counts running time: a module asleep or waiting on stdin past it is not ended', async () => {
    const limit = { HostConfig: { Ulimits: [{ Name: 'cpu', Soft: 1, Hard: 1 }] } };
    const slept = await run(['sleep', '2'], { body: limit });
    assert.equal(slept.exitCode, 0, slept.stderr);
    assert.equal(slept.stdout, 'slept 2 s\n');
    const waited = await run(['stdin'], {
      body: limit,
      stdin: async (_t, w, seen) => {
        while (!seen().includes('ready')) await new Promise((res) => setTimeout(res, 10));
        await new Promise((res) => setTimeout(res, 1500));
        await w.write(enc.encode('late'));
        await w.close();
      },
    });
    assert.equal(waited.exitCode, 0, waited.stderr);
    assert.equal(waited.stdout, 'ready\nlate\nread 4 bytes\n');
  });

  test('-m caps the module\'s memory: allocations beyond it fail inside the module', async () => {
    const free = await run(['grow', '32']);
    assert.equal(free.stdout, 'allocated 32 MiB of 32\n');
    const capped = await run(['grow', '32'], { body: { HostConfig: { Memory: 8 * 1024 * 1024 } } });
    assert.equal(capped.exitCode, 3);
    const got = Number(/allocated (\d+) MiB/.exec(capped.stdout)?.[1]);
    assert.ok(got < 8, capped.stdout);
  });

  test('files the module writes (kept in the engine\'s memory) may grow up to -m, then ENOSPC', async () => {
    const free = await run(['fill', '/etc/big', '12']);
    assert.equal(free.stdout, 'wrote 12 MiB of 12\n');
    const capped = await run(['fill', '/etc/big', '12'], { body: { HostConfig: { Memory: 8 * 1024 * 1024 } } });
    assert.equal(capped.exitCode, 3);
    assert.match(capped.stderr, /No space left on device/);
    assert.ok(Number(/wrote (\d+) MiB/.exec(capped.stdout)?.[1]) <= 8, capped.stdout);
  });

  test('a memory limit below what the module needs to start is refused with the reason', async () => {
    // Below Docker's 6 MB minimum that create enforces: only a module with a big initial memory meets this through the API.
    const rec = record({ Cmd: ['args'] });
    rec.HostConfig.Memory = WASM_PAGE;
    await assert.rejects(runtime.create(rec, image(), { stdin: false, stdinOnce: false, tty: false }), /needs \d+ KiB of memory to start, more than the container's memory limit/);
  });

  test('a missing module or one that is not wasm: errors the engine maps to 127 and a format error', async () => {
    const missing = record({ Entrypoint: ['/nothing.wasm'] });
    await assert.rejects(runtime.create(missing, image(), { stdin: false, stdinOnce: false, tty: false }), /exec: "\/nothing\.wasm": stat \/nothing\.wasm: no such file or directory/);
    const notWasm = record({ Entrypoint: ['/etc/greeting'] });
    await assert.rejects(runtime.create(notWasm, image(), { stdin: false, stdinOnce: false, tty: false }), /exec \/etc\/greeting: exec format error/);
  });

  test('the worker of a module that ended by itself (exit or trap) runs the next module', async () => {
    await run(['trap']);
    assert.ok(runtime.pool.hasSpare, 'the trapped module\'s worker came back');
    const next = await run(['cat', '/etc/greeting']);
    assert.equal(next.stdout, 'hello from the image\n');
  });

  test('exec, top, stats and pause are refused as not supported for wasm containers', async () => {
    await run(['loop'], {
      untilOutput: 'looping',
      whileRunning: async (t) => {
        for (const op of [() => t.exec('x', {} as never), () => t.top(''), () => t.stats(), () => t.pause()]) {
          await assert.rejects(op(), /not supported for wasm containers/);
        }
        await t.kill(9);
      },
    });
  });
});

describe('the spare worker', () => {
  test('a worker given back is the spare until it has been idle too long, then it is ended', async () => {
    const pool = new WorkerPool(spawnNodeWasiWorker, 200);
    const w = pool.take();
    let ended = false;
    w.onError(() => { ended = true; });
    pool.give(w);
    assert.ok(pool.hasSpare);
    for (let i = 0; i < 100 && pool.hasSpare; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.hasSpare, false);
    // Ended by terminate(), which is not reported as the worker failing.
    assert.equal(ended, false);
    pool.close();
  });
});

describe('WASI without shared memory (a page that is not cross-origin isolated)', () => {
  test('-i: the module runs once stdin is closed, with all of it', async () => {
    const module = await WebAssembly.compile(probeWasm() as Uint8Array<ArrayBuffer>);
    let out = '';
    const p = new WasiProcess({
      spawnWorker: spawnNodeWasiWorker, module, args: ['/probe.wasm', 'stdin'], env: [], rootfs: { entries: [], data: new ArrayBuffer(0) },
      stdin: true, sharedMemory: false, fileBytes: 1 << 20, onOutput: (_fd, d) => { out += dec.decode(d); },
    });
    await p.started;
    await p.writeStdin(enc.encode('one '));
    await p.writeStdin(enc.encode('two'));
    assert.equal(out, '');
    await p.closeStdin();
    assert.deepEqual(await p.exited, { code: 0 });
    assert.equal(out, 'ready\none two\nread 7 bytes\n');
  });
});

describe('wasm root filesystem and memory limits', () => {
  test('layers apply in order with OCI whiteouts; symlinks and hard links resolve to files', async () => {
    const lower = await layerTar({ 'a/': '', 'a/keep': 'k', 'a/gone': 'g', 'b/': '', 'b/old': 'o', 'top': 'v1' });
    const upper = await layerTar({ 'a/.wh.gone': '', 'b/.wh..wh..opq': '', 'b/new': 'n', 'top': 'v2' });
    const fs = await rootfsFromLayers([streamOf(lower), streamOf(upper)]);
    assert.deepEqual(fs.entries.map((e) => e.path), ['a', 'a/keep', 'b', 'b/new', 'top']);
    assert.equal(dec.decode(rootfsFile(fs, '/top')), 'v2');
    assert.equal(rootfsHas(fs, '/b/old'), undefined);
  });

  test('capMemory lowers the declared maximum and keeps the module valid', () => {
    const wasm = probeWasm();
    const [before] = declaredMemories(wasm);
    assert.ok(before && before.max === undefined);
    const capped = capMemory(wasm, 4 * 1024 * 1024);
    assert.deepEqual(declaredMemories(capped), [{ min: before.min, max: 64n }]);
    assert.ok(WebAssembly.validate(capped as Uint8Array<ArrayBuffer>));
    assert.throws(() => capMemory(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 1 << 20), /not a WebAssembly module/);
  });
});
