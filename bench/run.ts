// `run --rm --network none busybox true` end to end, side by side in one run: the docker CLI against berthd, the
// berth CLI against berthd, the docker CLI against dockerd, podman (runc, no network) and bare `runc run` (the
// lower bound); then 20 concurrent `run -d` (time until all 20 are running) for berthd and dockerd.
// Rounds interleave the contenders so that load from elsewhere on the machine falls on all of them alike.
// Env: BENCH_RUNS (rounds, default 5; the concurrent test does max(2, BENCH_RUNS/2)), BENCH_NO_WRITE=1.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { berthBundles, berthCliPresent, berthdMissing, startBerthd, waitForImage, type Berthd } from './lib/berthd.ts';
import { startDockerd, type Dockerd } from './lib/dockerd.ts';
import { bundleFromSave } from './lib/oci-bundle.ts';
import { runPhases, type Phases } from './lib/run-phases.ts';
import { onPath as exists, run, runTimed, toolVersion } from './lib/process.ts';
import { preparePodman, type Podman } from './lib/podman.ts';
import { workspace } from './lib/workspace.ts';
import { handWrittenNotes, machineDescription, markdownTable, median, updateSection } from './lib/report.ts';

const REPO = resolve(import.meta.dirname, '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const WARMUP = 2;
const CONCURRENT = 20;
const CONCURRENT_ROUNDS = Math.max(2, Math.round(RUNS / 2));
const IMAGE = 'busybox:latest';
const FULL_IMAGE = 'docker.io/library/busybox:latest';
const RUN_ARGS = ['run', '--rm', '--network', 'none'];
// A container that never finishes is a failure, not a long time: the docker CLI ignores SIGTERM while attached.
const TIMEOUT_MS = 30_000;
const LOAD_AT_START = loadavg()[0]!;

interface Contender {
  name: string;
  skipped?: string;
  note?: string;
  once(i: number): Promise<number>;
  /** Runs `echo MARK` the same way and returns its output: a fast run that ran nothing must not count. */
  echo?(mark: string): Promise<string>;
  times: number[];
}

function log(line: string): void { process.stderr.write(`${line}\n`); }

async function main(): Promise<void> {
  const ws = await workspace('/tmp/berth-bench-run-', log);
  const work = ws.dir;
  const uptimeAtStart = (await run('uptime', []).catch(() => '?')).trim();
  try {
    const env = { ...process.env, DOCKER_CONFIG: join(work, 'docker-config') };
    const docker = (host: string, args: string[]) => runTimed('docker', ['-H', host, ...args], { env, timeoutMs: TIMEOUT_MS });
    const missingBerthd = await berthdMissing(REPO);
    if (missingBerthd) throw new Error(`cannot benchmark berth: ${missingBerthd}`);

    const berthd: Berthd = await startBerthd(REPO, join(work, 'berthd'));
    ws.defer(() => berthd.stop());
    ws.defer(() => removeAll(berthd.host, env));
    const saved = join(work, 'busybox.tar');
    // berthd imported the built-in busybox at start; the others get the very same image from it.
    await waitForImage(berthd.host, env, IMAGE);
    await docker(berthd.host, ['save', '-o', saved, IMAGE]);

    let dockerd: Dockerd | undefined;
    if (await exists('dockerd')) {
      dockerd = await startDockerd(join(work, 'dockerd'));
      ws.defer(() => dockerd!.stop());
      ws.defer(() => removeAll(dockerd!.host, env));
      await docker(dockerd.host, ['load', '-i', saved]);
    }
    const hasPodman = await exists('podman');
    let podman: Podman | undefined;
    if (hasPodman) {
      podman = await preparePodman(join(work, 'podman'), saved);
      ws.defer(() => podman!.cleanUp());
    }
    const podmanGlobal = podman?.global ?? [];
    const podmanUlimits = podman?.ulimits ?? [];
    const bundle = await bundleFromSave(saved, join(work, 'bundle'), ['true']);
    const runcRoot = join(work, 'runc-state');

    const berthCli = await berthCliPresent(REPO);
    const contenders: Contender[] = [
      {
        name: 'docker CLI → berthd', times: [],
        once: async () => (await docker(berthd.host, [...RUN_ARGS, IMAGE, 'true'])).seconds,
        echo: async (m) => (await docker(berthd.host, [...RUN_ARGS, IMAGE, 'echo', m])).stdout,
      },
      {
        name: 'berth CLI → berthd', times: [],
        skipped: berthCli ? undefined : 'dist/berth.mjs is not built',
        once: async () => (await runTimed(process.execPath, [berthBundles(REPO).berth, '-H', berthd.host, ...RUN_ARGS, IMAGE, 'true'],
          { env, timeoutMs: TIMEOUT_MS })).seconds,
        echo: async (m) => (await runTimed(process.execPath, [berthBundles(REPO).berth, '-H', berthd.host, ...RUN_ARGS, IMAGE, 'echo', m],
          { env, timeoutMs: TIMEOUT_MS })).stdout,
      },
      {
        name: 'docker CLI → dockerd', times: [],
        skipped: dockerd ? undefined : 'dockerd is not installed',
        once: async () => (await docker(dockerd!.host, [...RUN_ARGS, IMAGE, 'true'])).seconds,
        echo: async (m) => (await docker(dockerd!.host, [...RUN_ARGS, IMAGE, 'echo', m])).stdout,
      },
      {
        name: 'podman (runc)', times: [],
        skipped: hasPodman ? undefined : 'podman is not installed',
        note: `\`--runtime runc --network none ${podmanUlimits.join(' ')}\`, cgroupfs`,
        once: async () => (await runTimed('podman', [...podmanGlobal, ...RUN_ARGS, ...podmanUlimits, FULL_IMAGE, 'true'],
          { timeoutMs: TIMEOUT_MS })).seconds,
        echo: async (m) => (await runTimed('podman', [...podmanGlobal, ...RUN_ARGS, ...podmanUlimits, FULL_IMAGE, 'echo', m],
          { timeoutMs: TIMEOUT_MS })).stdout,
      },
      {
        name: 'bare runc run', times: [],
        skipped: (await exists('runc')) ? undefined : 'runc is not installed',
        note: 'prepared bundle (rootfs already unpacked): the lower bound',
        once: async (i) => (await runTimed('runc', ['--root', runcRoot, 'run', '--bundle', bundle, `bench-${process.pid}-${i}`],
          { timeoutMs: TIMEOUT_MS })).seconds,
      },
    ];

    for (const c of contenders) {
      if (c.skipped || !c.echo) continue;
      const mark = `berth-bench-${process.pid}`;
      try {
        const out = await c.echo(mark);
        if (out !== `${mark}\n`) throw new Error(`\`echo ${mark}\` printed ${JSON.stringify(out)}`);
      } catch (e) {
        c.skipped = `failed the output check: ${(e as Error).message.split('\n')[0]}`;
        log(`run: ${c.name}: ${c.skipped}`);
      }
    }
    let i = 0;
    for (let round = 1 - WARMUP; round <= RUNS; round++) {
      for (const c of contenders) {
        if (c.skipped) continue;
        try {
          const s = await c.once(i++);
          if (round >= 1) c.times.push(s);
          log(`run: ${round < 1 ? 'warm-up' : `round ${round}/${RUNS}`}: ${c.name}: ${s.toFixed(3)} s`);
        } catch (e) {
          c.skipped = `failed in ${round < 1 ? 'warm-up' : `round ${round}`}: ${(e as Error).message.split('\n')[0]}`;
          log(`run: ${c.name}: ${c.skipped}`);
        }
      }
    }

    // The same run over the API, step by step: where the time goes on the daemon's side.
    const phases: { name: string; runs: Phases[]; skipped?: string }[] = [{ name: 'berthd', runs: [] }];
    const sockets = [berthd.socket];
    if (dockerd) { phases.push({ name: 'dockerd', runs: [] }); sockets.push(dockerd.socket); }
    for (let round = 1 - WARMUP; round <= RUNS; round++) {
      for (const [k, p] of phases.entries()) {
        if (p.skipped) continue;
        try {
          const r = await runPhases(sockets[k]!, IMAGE, ['true']);
          if (round >= 1) p.runs.push(r);
        } catch (e) {
          p.skipped = (e as Error).message.split('\n')[0];
          log(`run: phases via the API, ${p.name}: ${p.skipped}`);
        }
      }
    }

    const concurrent: Contender[] = [
      { name: `docker CLI → berthd, ${CONCURRENT} × run -d`, times: [], once: () => concurrentRuns(berthd.host, env) },
      {
        name: `docker CLI → dockerd, ${CONCURRENT} × run -d`, times: [],
        skipped: dockerd ? undefined : 'dockerd is not installed',
        once: () => concurrentRuns(dockerd!.host, env),
      },
    ];
    for (let round = 1; round <= CONCURRENT_ROUNDS; round++) {
      for (const c of concurrent) {
        if (c.skipped) continue;
        try {
          const s = await c.once(round);
          c.times.push(s);
          log(`run: concurrent round ${round}/${CONCURRENT_ROUNDS}: ${c.name}: ${s.toFixed(3)} s`);
        } catch (e) {
          c.skipped = `failed in round ${round}: ${(e as Error).message.split('\n')[0]}`;
          log(`run: ${c.name}: ${c.skipped}`);
        }
      }
    }
    const uptimeAtEnd = (await run('uptime', []).catch(() => '?')).trim();
    const report = await writeReport(contenders, concurrent, phases, { uptimeAtStart, uptimeAtEnd });
    process.stdout.write(`${report}\n`);
  } finally {
    await ws.cleanUp();
  }
}

/** Starts CONCURRENT detached containers at once; the time until every `run -d` has returned, i.e. all are running. */
async function concurrentRuns(host: string, env: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint();
  const ids = await Promise.all(Array.from({ length: CONCURRENT }, () =>
    run('docker', ['-H', host, 'run', '-d', '--network', 'none', IMAGE, 'sleep', '600'], { env, timeoutMs: TIMEOUT_MS * 2 })));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  try {
    const running = (await run('docker', ['-H', host, 'ps', '-q', '--no-trunc'], { env })).split('\n').filter(Boolean);
    const missing = ids.map((s) => s.trim()).filter((id) => !running.includes(id));
    if (missing.length) throw new Error(`${missing.length} of ${CONCURRENT} containers were not running after run -d returned`);
  } finally {
    await removeAll(host, env);
  }
  return seconds;
}

async function removeAll(host: string, env: NodeJS.ProcessEnv): Promise<void> {
  const ids = (await run('docker', ['-H', host, 'ps', '-aq'], { env }).catch(() => '')).split('\n').filter(Boolean);
  if (ids.length) await run('docker', ['-H', host, 'rm', '-f', ...ids], { env, timeoutMs: 120_000 });
}

function fmt(s: number): string { return s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`; }

function rows(cs: Contender[], reference: Contender): string[][] {
  const ref = reference.times.length ? median(reference.times) : undefined;
  return cs.map((c) => {
    if (!c.times.length) return [c.name, '—', '—', '—', '—', `not run: ${c.skipped ?? 'no result'}`];
    const m = median(c.times);
    const note = [c.skipped ? `stopped: ${c.skipped}` : `${c.times.length} runs`, ...(c.note ? [c.note] : [])].join('; ');
    return [c.name, fmt(m), fmt(Math.min(...c.times)), fmt(Math.max(...c.times)), ref ? `${(m / ref).toFixed(2)}×` : '—', note];
  });
}

async function writeReport(single: Contender[], concurrent: Contender[], phases: { name: string; runs: Phases[]; skipped?: string }[], load: { uptimeAtStart: string; uptimeAtEnd: string }): Promise<string> {
  const [viaDocker, , dockerd] = single as [Contender, Contender, Contender];
  const header = ['contender', 'median', 'min', 'max', 'time vs dockerd', 'notes'];
  let verdict: string;
  if (viaDocker.times.length && dockerd.times.length) {
    const ratio = median(viaDocker.times) / median(dockerd.times);
    verdict = `docker CLI → berthd vs docker CLI → dockerd: **${ratio.toFixed(2)}× the time** (median over median; target: at most 0.5× — ${ratio <= 0.5 ? '**met**' : '**not met**'}).`;
  } else {
    verdict = `docker CLI → berthd vs dockerd: not measured (${viaDocker.skipped ?? dockerd.skipped ?? 'no result'}).`;
  }
  const [cb, cd] = concurrent as [Contender, Contender];
  const concVerdict = cb.times.length && cd.times.length
    ? `${CONCURRENT} concurrent run -d: berthd takes **${(median(cb.times) / median(cd.times)).toFixed(2)}×** dockerd's time.`
    : `${CONCURRENT} concurrent run -d: not compared (${cb.skipped ?? cd.skipped ?? 'no result'}).`;
  const versions = await toolVersions();
  const body = [
    '`run --rm --network none busybox true` end to end (wall clock from the client\'s start to its exit), and ' +
      `${CONCURRENT} concurrent \`run -d --network none busybox sleep 600\` (time until every \`run -d\` has returned, i.e. all are running).`,
    '',
    `- Machine: ${await machineDescription(LOAD_AT_START)}`,
    `- Load (\`uptime\`): at the start \`${load.uptimeAtStart}\`; at the end \`${load.uptimeAtEnd}\``,
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Tools: ${versions}`,
    `- Method: \`npm run bench -- run\` (bench/run.ts). One berthd (dist/berthd.mjs; it imports the built-in busybox at start), one dockerd (own data root, exec root, containerd namespace; \`--iptables=false --ip-masq=false --bridge=none\`), podman with its own root, run root and tmp dir, and bare \`runc run\` of a bundle unpacked once. All run the same image: berthd's built-in busybox, \`docker save\`d from berthd and loaded into dockerd and podman. ${WARMUP} warm-up rounds, then ${RUNS} rounds; each round runs every contender once, in turn. Concurrent: ${CONCURRENT_ROUNDS} rounds each, interleaved, containers removed (untimed) after each round.`,
    '',
    markdownTable(header, rows(single, dockerd)),
    '',
    verdict,
    '',
    `The same \`run --rm\` over the Engine API, step by step as the docker CLI sends it (median of ${RUNS} runs each, after ${WARMUP} warm-ups; no CLI start-up):`,
    '',
    phaseTable(phases),
    '',
    markdownTable(header, rows(concurrent, cd)),
    '',
    concVerdict,
  ].join('\n');
  await mkdir(join(REPO, 'build', 'bench'), { recursive: true });
  await writeFile(join(REPO, 'build', 'bench', 'run.json'), JSON.stringify({
    date: new Date().toISOString(), load,
    contenders: [...single, ...concurrent].map(({ name, times, skipped }) => ({ name, times, skipped })), phases,
  }, null, 2));
  if (process.env.BENCH_NO_WRITE !== '1') {
    const notes = await handWrittenNotes(join(REPO, 'BENCHMARKS.md'), 'Run');
    await updateSection(join(REPO, 'BENCHMARKS.md'), 'Run', notes ? `${body}\n\n${notes}` : body);
  }
  return body;
}

function phaseTable(phases: { name: string; runs: Phases[]; skipped?: string }[]): string {
  const steps: [keyof Phases, string][] = [
    ['create', 'POST /containers/create'], ['attach', 'POST /attach (hijack)'], ['start', 'POST /start'],
    ['exitAndRemove', 'start answered → wait?condition=removed answered'], ['total', 'total'],
  ];
  const header = ['step', ...phases.map((p) => p.name)];
  const cell = (p: { runs: Phases[]; skipped?: string }, k: keyof Phases) =>
    p.runs.length ? fmt(median(p.runs.map((r) => r[k]))) : `— (${p.skipped ?? 'no result'})`;
  return markdownTable(header, steps.map(([k, label]) => [label, ...phases.map((p) => cell(p, k))]));
}

async function toolVersions(): Promise<string> {
  return [
    `docker CLI ${await toolVersion('docker')}`, `dockerd ${await toolVersion('dockerd')}`,
    `containerd ${await toolVersion('containerd')}`, `podman ${await toolVersion('podman')}`, `runc ${await toolVersion('runc')}`,
  ].join(', ');
}

main().catch((e) => {
  log(`run: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
