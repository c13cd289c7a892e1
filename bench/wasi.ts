// WASI container start: inside the engine, core's WasiRuntime from create() to the module's first
// output (the hello-wasm module and, when Debian's WASI toolchain is installed, a C module with
// wasi-libc), with the spare worker the runtime keeps and without one; and end to end,
// `docker run --rm` of hello-wasm against berthd next to a Linux container (hello-world) on the
// same daemon. Target: under 20 ms inside the engine.
// Env: BENCH_RUNS=N (rounds; default 30 in the engine, N/3 end to end), BENCH_NO_WRITE=1.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packTar } from 'modern-tar';
import { WasiRuntime } from '../core/wasi/runtime.ts';
import { MemoryLogs } from '../core/wasi/logs.ts';
import type { SpawnWorker } from '../core/wasi/protocol.ts';
import { nodeWasiWorker } from '../host-linux/runtime/wasi-spawn.ts';
import { newRecord } from '../core/engine/containers/record.ts';
import type { ContainerImage } from '../core/engine/containers/runtime.ts';
import type { CreateBody } from '../core/engine/containers/types.ts';
import type { ImageConfig } from '../core/image/types.ts';
import { assembleHelloWasm } from '../host-linux/builtin/hello-wasm-image.ts';
import { berthdMissing, startBerthd } from './lib/berthd.ts';
import { runTimed } from './lib/process.ts';
import { handWrittenNotes, machineDescription, markdownTable, median, updateSection } from './lib/report.ts';

const REPO = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const TARGET_MS = 20;
const LOAD_AT_START = loadavg()[0]!;
const WORKER = join(REPO, 'dist/berth-wasi-worker.mjs');

function log(line: string): void { process.stderr.write(`${line}\n`); }
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** The bundled worker, as berthd starts it. */
const spawnBundledWorker: SpawnWorker = () => nodeWasiWorker(WORKER);

function probeWasm(): Uint8Array | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wasi-'));
  try {
    execFileSync('clang', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-o', join(dir, 'p.wasm'), join(REPO, 'test/fixtures/wasi/probe.c')], { stdio: 'ignore' });
    return new Uint8Array(readFileSync(join(dir, 'p.wasm')));
  } catch { return undefined; } finally { rmSync(dir, { recursive: true, force: true }); }
}

interface Sample { cold: number; warm: number[] }

/** create() -> start() -> first output chunk, `runs` times; the first run builds the rootfs and compiles. */
async function inEngine(module: Uint8Array, cmd: string[], spare: boolean, gapMs: number, runs: number): Promise<Sample> {
  const tar = await packTar([{ header: { name: 'm.wasm', size: module.byteLength, mode: 0o755 }, body: module }]);
  const config = { architecture: 'wasm', os: 'wasi', config: { Entrypoint: ['/m.wasm'] }, rootfs: { type: 'layers', diff_ids: ['sha256:m'] } } as ImageConfig;
  const image: ContainerImage = { id: `sha256:bench-${spare}-${module.byteLength}`, config, diffIDs: ['sha256:m'] };
  const runtime = new WasiRuntime({
    spawnWorker: spawnBundledWorker,
    layers: async () => [new ReadableStream({ start(c) { c.enqueue(tar); c.close(); } })],
    logs: new MemoryLogs(),
  });
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const rec = newRecord({ id: i.toString(16).padStart(64, '0'), name: `/b${i}`, body: { Image: 'm', Cmd: cmd } as CreateBody, image: { id: image.id, config }, now: new Date() });
    if (!spare) runtime.pool.close();
    // The time between two containers: with a gap longer than a worker's start-up the spare is ready.
    await new Promise((r) => setTimeout(r, gapMs));
    const t0 = performance.now();
    const task = await runtime.create(rec, image, { stdin: false, stdinOnce: false, tty: false });
    const out = (await task.attach()).readable.getReader();
    await task.start();
    await out.read();
    times.push(performance.now() - t0);
    await task.wait();
    await out.cancel();
  }
  runtime.close();
  return { cold: times[0]!, warm: times.slice(1) };
}

function stats(xs: number[]): string[] {
  const s = [...xs].sort((a, b) => a - b);
  return [ms(median(s)), ms(s[Math.floor(s.length * 0.9)]!), ms(s[0]!), ms(s[s.length - 1]!)];
}

async function main(): Promise<void> {
  if (!existsSync(WORKER)) throw new Error('dist/berth-wasi-worker.mjs is not built (npm run build)');
  const rows: string[][] = [];
  const modules: [string, Uint8Array, string[]][] = [['hello-wasm (wat, 1 KB)', await assembleHelloWasm(), []]];
  const probe = probeWasm();
  if (probe) modules.push([`C with wasi-libc (${Math.round(probe.byteLength / 1024)} KB)`, probe, ['args']]);
  else log('clang/wasi-libc missing: only hello-wasm is measured');
  for (const [name, bytes, cmd] of modules) {
    for (const [label, spare, gap] of [['spare, 250 ms between containers (berthd)', true, 250], ['spare, back to back (berthd)', true, 0], ['a new worker each', false, 250]] as const) {
      log(`in the engine: ${name}, ${label}`);
      const s = await inEngine(bytes, cmd, spare, gap, RUNS);
      rows.push([name, label, ms(s.cold), ...stats(s.warm)]);
    }
  }
  const engineTable = markdownTable(['module', 'worker', 'first container', 'median', 'p90', 'min', 'max'], rows);

  let e2e = '';
  const missing = await berthdMissing(REPO);
  if (missing) {
    e2e = `End to end: skipped (${missing}).`;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'bench-wasi-berthd-'));
    const d = await startBerthd(REPO, dir);
    try {
      const runs = Math.max(3, Math.round(RUNS / 3));
      const e2eRows: string[][] = [];
      for (const [label, args] of [['hello-wasm (wasi/wasm)', ['--platform', 'wasi/wasm', 'hello-wasm']], ['hello-world (linux/amd64, berth-shim)', ['hello-world']]] as const) {
        const times: number[] = [];
        await runTimed('docker', ['-H', d.host, 'run', '--rm', ...args]);
        for (let i = 0; i < runs; i++) {
          const r = await runTimed('docker', ['-H', d.host, 'run', '--rm', ...args]);
          if (r.code !== 0) throw new Error(`docker run ${args.join(' ')}: ${r.stderr}`);
          times.push(r.seconds * 1000);
        }
        log(`end to end: ${label} ${ms(median(times))}`);
        e2eRows.push([label, ...stats(times)]);
      }
      e2e = `End to end, \`docker run --rm\` (the docker CLI's own start-up included) against a bundled berthd, ${runs} runs after one warm-up:\n\n` +
        markdownTable(['image', 'median', 'p90', 'min', 'max'], e2eRows);
    } finally {
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const body = [
    `Machine: ${await machineDescription(LOAD_AT_START)}.`,
    `WASI container start inside the engine: core's \`WasiRuntime\` from \`create()\` to the first output chunk of the module (create + attach + start + first write), ${RUNS} containers after a first one; the first container also builds the image's in-memory root filesystem and compiles the module (both cached per image). Workers are \`dist/berth-wasi-worker.mjs\` as berthd starts them. Target: under ${TARGET_MS} ms.`,
    engineTable,
    e2e,
    await handWrittenNotes(join(REPO, 'BENCHMARKS.md'), 'WASI'),
  ].filter(Boolean).join('\n\n');
  process.stdout.write(`${body}\n`);
  if (process.env.BENCH_NO_WRITE !== '1') await updateSection(join(REPO, 'BENCHMARKS.md'), 'WASI', body);
}

await main();
