// Cold pull + unpack of a ~100 MB, 6-layer image from a local CNCF registry, side by side in one run:
//   skopeo copy + umoci unpack, docker pull (a temporary dockerd), berth pull (a temporary berthd).
// Rounds interleave the contenders so that load from elsewhere on the machine falls on all of them alike.
// Env: BENCH_RUNS (default 5), BENCH_NO_WRITE=1 to leave BENCHMARKS.md alone.
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { berthBundles, berthCliPresent, berthdMissing, startBerthd, type Berthd } from './lib/berthd.ts';
import { startDockerd, type Dockerd } from './lib/dockerd.ts';
import { run, runTimed, toolVersion } from './lib/process.ts';
import { startRegistry, type Registry } from './lib/registry.ts';
import { machineDescription, markdownTable, median, updateSection } from './lib/report.ts';
import { SYNTHETIC_REF, syntheticImage } from './lib/synthetic-image.ts';

const REPO = resolve(import.meta.dirname, '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const REPOSITORY = 'bench/pull';
const LOAD_AT_START = loadavg()[0]!;

interface Contender {
  name: string;
  /** Set when the contender cannot run here; it is then reported, not timed. */
  skipped?: string;
  /** Said beside its numbers. */
  note?: string;
  setUp?(): Promise<void>;
  /** One cold pull + unpack; returns seconds. */
  pull(round: number): Promise<number>;
  tearDown?(): Promise<void>;
  times: number[];
}

async function exists(cmd: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try { await access(join(dir, cmd)); return true; } catch { /* next */ }
  }
  return false;
}

function log(line: string): void { process.stderr.write(`${line}\n`); }

async function main(): Promise<void> {
  const work = await mkdtemp('/tmp/berth-bench-pull-');
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => log(`clean-up: ${(e as Error).message}`));
    cleanups.length = 0;
    await rm(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => { void cleanUp().then(() => process.exit(130)); });
  try {
    log('pull: generating the image (cached in build/cache after the first run)...');
    const image = await syntheticImage(join(REPO, 'build', 'cache'));
    const registry: Registry = await startRegistry(join(work, 'registry'));
    cleanups.push(() => registry.stop());
    const ref = `${registry.host}/${REPOSITORY}:latest`;
    await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${image.layout}:${SYNTHETIC_REF}`, `docker://${ref}`]);
    log(`pull: ${ref}: ${image.layers} layers, ${mb(image.compressedBytes)} compressed, ${mb(image.uncompressedBytes)} unpacked, ${image.files} files`);

    const dockerEnv = { ...process.env, DOCKER_CONFIG: join(work, 'docker-config') };
    let dockerd: Dockerd | undefined;
    const berthCli = await berthCliPresent(REPO);
    const contenders: Contender[] = [
      {
        name: 'berth pull',
        times: [],
        async pull(round) {
          const dir = join(work, 'berth', `run-${round}`);
          const daemon: Berthd = await startBerthd(REPO, dir);
          try {
            const r = berthCli
              ? await runTimed(process.execPath, [berthBundles(REPO).berth, '-H', daemon.host, 'pull', ref])
              : await runTimed('docker', ['-H', daemon.host, 'pull', '-q', ref], { env: dockerEnv });
            await checkImageId(daemon.host, ref, image.configDigest, dockerEnv);
            return r.seconds;
          } finally {
            await daemon.stop();
            await rm(dir, { recursive: true, force: true });
          }
        },
      },
      {
        name: 'docker pull',
        times: [],
        async setUp() {
          dockerd = await startDockerd(join(work, 'dockerd'));
          cleanups.push(async () => { await dockerd?.stop(); });
        },
        async pull() {
          const host = ['-H', dockerd!.host];
          await run('docker', [...host, 'rmi', '-f', ref], { env: dockerEnv }).catch(() => '');
          const r = await runTimed('docker', [...host, 'pull', '-q', ref], { env: dockerEnv });
          await checkImageId(dockerd!.host, ref, image.configDigest, dockerEnv);
          await run('docker', [...host, 'rmi', '-f', ref], { env: dockerEnv });
          return r.seconds;
        },
      },
      {
        name: 'skopeo copy + umoci unpack',
        times: [],
        async pull(round) {
          const dir = join(work, 'skopeo', `run-${round}`);
          await mkdir(dir, { recursive: true });
          try {
            const copy = await runTimed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${join(dir, 'image')}:latest`]);
            const unpack = await runTimed('umoci', ['unpack', '--image', `${join(dir, 'image')}:latest`, join(dir, 'bundle')]);
            return copy.seconds + unpack.seconds;
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      },
    ];
    const [berth, docker, skopeo] = contenders as [Contender, Contender, Contender];
    berth.skipped = await berthdMissing(REPO);
    if (!berth.skipped && !berthCli) {
      berth.name = 'berthd (docker CLI) pull';
      berth.note = 'dist/berth.mjs is not built: the docker CLI drove berthd';
    }
    if (!(await exists('dockerd')) || !(await exists('docker'))) docker.skipped = 'dockerd or the docker CLI is not installed';
    if (!(await exists('skopeo')) || !(await exists('umoci'))) skopeo.skipped = 'skopeo or umoci is not installed';

    for (const c of contenders) {
      if (c.skipped || !c.setUp) continue;
      try { await c.setUp(); } catch (e) { c.skipped = `could not start: ${(e as Error).message}`; }
    }
    for (let round = 1; round <= RUNS; round++) {
      for (const c of contenders) {
        if (c.skipped) continue;
        try {
          // Earlier runs' dirty pages would otherwise be written back during this one.
          await run('sync', []);
          const s = await c.pull(round);
          c.times.push(s);
          log(`pull: round ${round}/${RUNS}: ${c.name}: ${s.toFixed(2)} s`);
        } catch (e) {
          // One failure ends that contender's runs: its later numbers would not be comparable.
          c.skipped = `failed in round ${round}: ${(e as Error).message.split('\n')[0]}`;
          log(`pull: ${c.name}: ${c.skipped}`);
        }
      }
    }
    for (const c of contenders) if (c.tearDown) await c.tearDown();

    const report = await writeReport(image, contenders);
    process.stdout.write(`${report}\n`);
  } finally {
    await cleanUp();
  }
}

/** A pull that did not end with the image in the store must not count as a fast one. */
async function checkImageId(host: string, ref: string, expected: string, env: NodeJS.ProcessEnv): Promise<void> {
  const id = (await run('docker', ['-H', host, 'image', 'inspect', '--format', '{{.Id}}', ref], { env })).trim();
  if (id !== expected) throw new Error(`after the pull, ${ref} has ID ${JSON.stringify(id)}, not ${expected}`);
}

function mb(bytes: number): string { return `${(bytes / 1e6).toFixed(1)} MB`; }

async function writeReport(image: Awaited<ReturnType<typeof syntheticImage>>, contenders: Contender[]): Promise<string> {
  const [berth, docker] = contenders as [Contender, Contender];
  const dockerMedian = docker.times.length ? median(docker.times) : undefined;
  const rows = contenders.map((c) => {
    if (!c.times.length) return [c.name, '—', '—', '—', '—', `not run: ${c.skipped ?? 'no result'}`];
    const m = median(c.times);
    const ratio = dockerMedian !== undefined ? `${(dockerMedian / m).toFixed(2)}×` : '—';
    const note = [c.skipped ? `stopped: ${c.skipped}` : `${c.times.length} run${c.times.length === 1 ? "" : "s"}`, ...(c.note ? [c.note] : [])].join('; ');
    return [c.name, `${m.toFixed(2)} s`, `${Math.min(...c.times).toFixed(2)} s`, `${Math.max(...c.times).toFixed(2)} s`, ratio, note];
  });
  const table = markdownTable(['contender', 'median', 'min', 'max', 'speed vs docker pull', 'notes'], rows);
  let verdict: string;
  if (berth.times.length && dockerMedian !== undefined) {
    const ratio = dockerMedian / median(berth.times);
    verdict = `berth vs docker pull: **${ratio.toFixed(2)}× ${ratio >= 1 ? 'faster' : 'slower'}** (median over median; target: at least 1.5× faster — ${ratio >= 1.5 ? 'met' : 'not met'}).`;
  } else {
    verdict = `berth vs docker pull: not measured (${berth.skipped ?? docker.skipped ?? 'no result'}).`;
  }
  const versions = await toolVersions();
  const body = [
    `Cold pull + unpack of a ${image.layers}-layer image (${mb(image.compressedBytes)} of gzip layers, ${mb(image.uncompressedBytes)} unpacked, ${image.files} files: many small text files, some binaries, a few large incompressible files and one large log) from a local CNCF registry on loopback.`,
    '',
    `- Machine: ${await machineDescription(LOAD_AT_START)}`,
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Tools: ${versions}`,
    `- Method: \`npm run bench\` (bench/pull.ts). The image is generated from a fixed seed, so every run pulls the same bytes; it is pushed once with skopeo into \`docker-registry serve\` (127.0.0.1, random port, temporary root). ${RUNS} rounds; each round runs every contender once, cold: berth gets a fresh berthd with an empty data root per run (daemon start-up not timed); dockerd is a temporary one (own data root, exec root, socket; \`--iptables=false --ip-masq=false --bridge=none\`) whose image is removed with \`docker rmi\` before each run; skopeo copies into an empty OCI layout and umoci unpacks it into an empty bundle (both timed). Times are wall clock from process start to exit.`,
    '',
    table,
    '',
    verdict,
  ].join('\n');
  await mkdir(join(REPO, 'build', 'bench'), { recursive: true });
  await writeFile(join(REPO, 'build', 'bench', 'pull.json'), JSON.stringify({
    date: new Date().toISOString(), image, contenders: contenders.map(({ name, times, skipped }) => ({ name, times, skipped })),
  }, null, 2));
  if (process.env.BENCH_NO_WRITE !== '1') await updateSection(join(REPO, 'BENCHMARKS.md'), 'Pull', body);
  return body;
}

async function toolVersions(): Promise<string> {
  const names = ['dockerd', 'skopeo', 'umoci', 'docker-registry'];
  return (await Promise.all(names.map(async (n) => `${n} ${await toolVersion(n)}`))).join(', ');
}

main().catch((e) => {
  log(`pull: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
