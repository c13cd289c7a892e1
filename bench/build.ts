// `docker build` with the legacy builder (DOCKER_BUILDKIT=0), cold (`--no-cache`) and all-cached, of the projects in
// test/fixtures/build-projects (five-steps on busybox, static-c, node-app), with the docker CLI against berthd and
// against dockerd in one run, as ratios of medians. Targets (issue 6): an all-cached rebuild no slower than dockerd's,
// a cold build within 1.2x of dockerd's.
// Before timing, each engine's build must run and print what the project prints; a cold build that used the cache, or
// a cached one that did not, or that made another image, fails the contender rather than counting.
// Rounds interleave the engines, rotating which goes first, so load from elsewhere falls on both alike.
// Env: BENCH_RUNS (rounds, default 5), BENCH_NO_WRITE=1.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { berthBundles, berthdMissing, startBerthd, waitForImage } from './lib/berthd.ts';
import { startDockerd } from './lib/dockerd.ts';
import { onPath, run, runTimed, toolVersion, type RunResult } from './lib/process.ts';
import { handWrittenNotes, machineDescription, markdownTable, median, updateSection } from './lib/report.ts';
import { workspace } from './lib/workspace.ts';
import { gccImageArchive, nodeImageArchive, toolchainImagesMissing } from '../test/helpers/toolchain-images.ts';

const REPO = resolve(import.meta.dirname, '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const WARMUP = 1;
const SECTION = 'Build';
const TIMEOUT_MS = 300_000;
const COLD_TARGET = 1.2;
const CACHED_TARGET = 1.0;
const LOAD_AT_START = loadavg()[0]!;

interface Project {
  name: string;
  /** What `docker run --rm --network none <image> ...check` prints for a good build. */
  check: string[];
  expect: string;
  /** Needs the toolchain images (and so gcc-12 and busybox-static on the host). */
  toolchain: boolean;
}

const PROJECTS: Project[] = [
  { name: 'five-steps', check: [], expect: 'five steps\nbuilt\n', toolchain: false },
  { name: 'static-c', check: [], expect: 'hello from a static binary in scratch\n', toolchain: true },
  { name: 'node-app', check: ['node', '-p', "require('./lib/greeting.js')"], expect: 'hello from node\n', toolchain: true },
];

interface Engine {
  name: string;
  host?: string;
  skipped?: string;
  /** Per project: cold and cached build times, and why the project failed on this engine. */
  results: Map<string, { cold: number[]; cached: number[]; failed?: string }>;
}

function log(line: string): void { process.stderr.write(`${line}\n`); }

/** Each step of legacy `docker build` output: whether it came from the cache, and whether it ran a container. */
function buildSteps(out: string): { step: string; cached: boolean; ran: boolean }[] {
  const steps: { step: string; cached: boolean; ran: boolean }[] = [];
  for (const line of out.split('\n')) {
    const m = /^Step \d+\/\d+ : (.*)$/.exec(line);
    const last = steps[steps.length - 1];
    if (m) steps.push({ step: m[1]!, cached: false, ran: false });
    else if (last && line === ' ---> Using cache') last.cached = true;
    else if (last && line.startsWith(' ---> Running in ')) last.ran = true;
  }
  return steps;
}

function builtId(out: string): string {
  const m = /Successfully built ([0-9a-f]{12})/.exec(out);
  if (!m) throw new Error(`no "Successfully built" in the output: ${out.trim().split('\n').slice(-2).join(' | ')}`);
  return m[1]!;
}

async function main(): Promise<void> {
  const ws = await workspace('/tmp/berth-bench-build-', log);
  const work = ws.dir;
  const uptimeAtStart = (await run('uptime', []).catch(() => '?')).trim();
  try {
    const env = { ...process.env, DOCKER_CONFIG: join(work, 'docker-config'), DOCKER_BUILDKIT: '0' };
    const docker = (host: string, args: string[]): Promise<RunResult> => runTimed('docker', ['-H', host, ...args], { env, timeoutMs: TIMEOUT_MS });
    const missingBerthd = await berthdMissing(REPO);
    if (missingBerthd) throw new Error(`cannot benchmark berth: ${missingBerthd}`);

    const noToolchain = toolchainImagesMissing();
    const projects = PROJECTS.filter((p) => !p.toolchain || !noToolchain);
    if (noToolchain) log(`build: static-c and node-app left out: ${noToolchain}`);
    // The contexts are copies, so nothing a build does can touch the repository's fixtures.
    for (const p of projects) await cp(join(REPO, 'test/fixtures/build-projects', p.name), join(work, p.name), { recursive: true });
    const archives = noToolchain ? [] : await Promise.all([gccImageArchive(), nodeImageArchive()]);

    const berthd = await startBerthd(REPO, join(work, 'berthd'));
    ws.defer(() => berthd.stop());
    await waitForImage(berthd.host, env, 'busybox:latest');
    const busybox = join(work, 'busybox.tar');
    await docker(berthd.host, ['save', '-o', busybox, 'busybox:latest']);
    const engines: Engine[] = [{ name: 'docker CLI → berthd', host: berthd.host, results: new Map() }];
    if (await onPath('dockerd')) {
      const dockerd = await startDockerd(join(work, 'dockerd'));
      ws.defer(() => dockerd.stop());
      engines.push({ name: 'docker CLI → dockerd (legacy builder)', host: dockerd.host, results: new Map() });
    } else {
      engines.push({ name: 'docker CLI → dockerd (legacy builder)', skipped: 'dockerd is not installed', results: new Map() });
    }
    for (const e of engines) {
      for (const p of projects) e.results.set(p.name, { cold: [], cached: [] });
      if (e.skipped) continue;
      // Both engines build on the very same base images: berthd's built-in busybox and the toolchain images.
      for (const archive of [busybox, ...archives]) await docker(e.host!, ['load', '-i', archive]);
    }

    const cold = async (e: Engine, p: Project): Promise<{ seconds: number; id: string }> => {
      const r = await docker(e.host!, ['build', '--no-cache', '-t', `bench-${p.name}`, join(work, p.name)]);
      const steps = buildSteps(r.stdout);
      const hits = steps.filter((s) => s.cached);
      if (hits.length) throw new Error(`the --no-cache build took ${hits.map((s) => s.step).join(', ')} from the cache`);
      // A RUN that printed no container of its own did not run.
      const skipped = steps.filter((s) => s.step.startsWith('RUN ') && !s.ran);
      if (skipped.length) throw new Error(`the --no-cache build did not run ${skipped.map((s) => s.step).join(', ')} in a container`);
      return { seconds: r.seconds, id: builtId(r.stdout) };
    };
    const cached = async (e: Engine, p: Project, id: string): Promise<number> => {
      const r = await docker(e.host!, ['build', '-t', `bench-${p.name}`, join(work, p.name)]);
      const missed = buildSteps(r.stdout).filter((s) => !s.cached && !s.step.startsWith('FROM '));
      if (missed.length) throw new Error(`the rebuild ran ${missed.map((s) => s.step).join(', ')} instead of taking it from the cache`);
      if (builtId(r.stdout) !== id) throw new Error(`the rebuild made ${builtId(r.stdout)}, not the cold build's ${id}`);
      return r.seconds;
    };

    for (let round = 1 - WARMUP; round <= RUNS; round++) {
      const label = round < 1 ? 'warm-up' : `round ${round}/${RUNS}`;
      for (const p of projects) {
        const live = engines.filter((e) => !e.skipped);
        const order = round % 2 ? live : [...live].reverse();
        for (const e of order) {
          const result = e.results.get(p.name)!;
          if (result.failed) continue;
          try {
            const c = await cold(e, p);
            const k = await cached(e, p, c.id);
            if (round < 1) {
              const printed = (await docker(e.host!, ['run', '--rm', '--network', 'none', `bench-${p.name}`, ...p.check])).stdout;
              if (printed !== p.expect) throw new Error(`the built image printed ${JSON.stringify(printed)}, not ${JSON.stringify(p.expect)}`);
            } else {
              result.cold.push(c.seconds);
              result.cached.push(k);
            }
            log(`build: ${label}: ${e.name}, ${p.name}: cold ${c.seconds.toFixed(3)} s, cached ${k.toFixed(3)} s`);
          } catch (err) {
            const message = (err as Error).message;
            result.failed = /page not found/.test(message)
              ? 'berthd does not serve POST /build (404 page not found)'
              : `failed in ${label}: ${message.split('\n').filter(Boolean).slice(-1)[0] ?? message}`;
            log(`build: ${e.name}, ${p.name}: ${result.failed}`);
          }
        }
      }
      // Untimed: the --no-cache builds leave their earlier images behind as dangling ones.
      for (const e of engines) if (!e.skipped) await docker(e.host!, ['image', 'prune', '-f']).catch(() => undefined);
    }
    const uptimeAtEnd = (await run('uptime', []).catch(() => '?')).trim();
    process.stdout.write(`${await writeReport(engines, projects, noToolchain, { uptimeAtStart, uptimeAtEnd })}\n`);
  } finally {
    await ws.cleanUp();
  }
}

function fmt(s: number): string { return s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`; }

function ratio(xs: number[], ref: number[]): number | undefined {
  return xs.length && ref.length ? median(xs) / median(ref) : undefined;
}

async function writeReport(engines: Engine[], projects: Project[], noToolchain: string | null, load: { uptimeAtStart: string; uptimeAtEnd: string }): Promise<string> {
  const [berth, dockerd] = engines as [Engine, Engine];
  const header = ['project', 'contender', 'cold (median)', 'cold min–max', 'all cached (median)', 'cached min–max', 'cold vs dockerd', 'cached vs dockerd'];
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const p of projects) {
    const ref = dockerd.results.get(p.name)!;
    for (const e of engines) {
      const r = e.results.get(p.name)!;
      const why = e.skipped ?? r.failed;
      if (!r.cold.length) { rows.push([p.name, e.name, '—', '—', '—', '—', '—', `not run: ${why ?? 'no result'}`]); continue; }
      const cr = ratio(r.cold, ref.cold);
      const kr = ratio(r.cached, ref.cached);
      rows.push([p.name, e.name, fmt(median(r.cold)), `${fmt(Math.min(...r.cold))}–${fmt(Math.max(...r.cold))}`,
        fmt(median(r.cached)), `${fmt(Math.min(...r.cached))}–${fmt(Math.max(...r.cached))}`,
        cr === undefined ? '—' : `${cr.toFixed(2)}×`, kr === undefined ? '—' : `${kr.toFixed(2)}×`]);
    }
    const b = berth.results.get(p.name)!;
    const cr = ratio(b.cold, ref.cold);
    const kr = ratio(b.cached, ref.cached);
    verdicts.push(cr === undefined || kr === undefined
      ? `- ${p.name}: not compared (${b.failed ?? dockerd.skipped ?? ref.failed ?? 'no result'}).`
      : `- ${p.name}: all cached **${kr.toFixed(2)}×** dockerd's time (target ≤ ${CACHED_TARGET.toFixed(1)}×: ${kr <= CACHED_TARGET ? '**met**' : '**not met**'}); ` +
        `cold **${cr.toFixed(2)}×** (target ≤ ${COLD_TARGET}×: ${cr <= COLD_TARGET ? '**met**' : '**not met**'}).`);
  }
  const versions = await toolVersions();
  const commit = (await run('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']).catch(() => '?')).trim();
  const bundle = relative(REPO, berthBundles(REPO).berthd);
  const body = [
    '`DOCKER_BUILDKIT=0 docker build` (the legacy builder, the `/build` endpoint berthd serves) of the projects in ' +
      '`test/fixtures/build-projects`: cold (`--no-cache`) and then all cached (the same build again), wall clock from the ' +
      'client\'s start to its exit, context upload included.',
    '',
    `- Machine: ${await machineDescription(LOAD_AT_START)}`,
    `- Load (\`uptime\`): at the start \`${load.uptimeAtStart}\`; at the end \`${load.uptimeAtEnd}\``,
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Tools: ${versions}`,
    '- Projects: `five-steps` (5 steps on busybox: WORKDIR, COPY, RUN, CMD), `static-c` (a gcc stage compiling a static ' +
      'binary, copied into `scratch`), `node-app` (8 steps on a node image: WORKDIR, two COPYs, ENV, EXPOSE, USER, CMD).' +
      (noToolchain ? ` static-c and node-app were left out: ${noToolchain}.` : ''),
    `- Method: \`npm run bench -- build\` (bench/build.ts). One berthd (\`${bundle}\`; the tree was at commit ${commit}) and one dockerd (own data root, exec root and containerd namespace; \`--iptables=false --ip-masq=false --bridge=none\`), both with the same base images: berthd's built-in busybox (\`docker save\`d from berthd) and \`berth-test/gcc\` and \`berth-test/node\`, made from the host's own gcc-12 and node by test/helpers/toolchain-images.ts and \`docker load\`ed into each. ${WARMUP} warm-up round (which also runs each built image and checks what it prints), then ${RUNS} rounds; each round builds every project cold then cached on each engine, the engines' order alternating. A cold build that took anything from the cache, or a rebuild that ran a step or made another image ID, fails its contender.`,
    '',
    markdownTable(header, rows),
    '',
    ...verdicts,
  ].join('\n');
  await mkdir(join(REPO, 'build', 'bench'), { recursive: true });
  await writeFile(join(REPO, 'build', 'bench', 'build.json'), JSON.stringify({
    date: new Date().toISOString(), load,
    engines: engines.map((e) => ({ name: e.name, skipped: e.skipped, results: Object.fromEntries(e.results) })),
  }, null, 2));
  if (process.env.BENCH_NO_WRITE !== '1') {
    const notes = await handWrittenNotes(join(REPO, 'BENCHMARKS.md'), SECTION);
    await updateSection(join(REPO, 'BENCHMARKS.md'), SECTION, notes ? `${body}\n\n${notes}` : body);
  }
  return body;
}

async function toolVersions(): Promise<string> {
  return [`docker CLI ${await toolVersion('docker')}`, `dockerd ${await toolVersion('dockerd')}`, `gcc ${(await run('gcc', ['-dumpfullversion']).catch(() => '?')).trim()}`, `node ${process.version}`].join(', ');
}

main().catch((e) => {
  log(`build: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
