// Idle daemon memory: berthd's resident set after start and after a few requests (including three containers run
// and removed), against dockerd + the containerd it starts, measured the same way. Target: berthd under 60 MB.
// Env: BENCH_NO_WRITE=1 to leave BENCHMARKS.md alone.
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { berthdMissing, startBerthd } from './lib/berthd.ts';
import { startDockerd } from './lib/dockerd.ts';
import { unmountUnder } from './lib/mounts.ts';
import { run } from './lib/process.ts';
import { handWrittenNotes, machineDescription, markdownTable, updateSection } from './lib/report.ts';
import { addRss, rssOf, type Rss } from './lib/rss.ts';

const REPO = resolve(import.meta.dirname, '..');
const IMAGE = 'busybox:latest';
const TARGET_MB = 60;
// Long enough for start-up work (built-in image import, a daemon's first GC) to settle before the reading.
const SETTLE_MS = 5_000;
const LOAD_AT_START = loadavg()[0]!;

interface Reading { name: string; processes: string; afterStart?: Rss; afterRequests?: Rss; skipped?: string }

function log(line: string): void { process.stderr.write(`${line}\n`); }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number | undefined) => (b === undefined ? '—' : `${(b / 1e6).toFixed(1)} MB`);
const detail = (r: Rss | undefined) => (r === undefined ? '—' : `**${mb(r.rss)}** (${mb(r.anon)} anon + ${mb(r.file)} file)`);

async function total(pids: (number | undefined)[]): Promise<Rss | undefined> {
  let sum: Rss = { rss: 0, anon: 0, file: 0 };
  for (const pid of pids) {
    const r = pid === undefined ? undefined : await rssOf(pid);
    if (r === undefined) return undefined;
    sum = addRss(sum, r);
  }
  return sum;
}

/** What a client typically does against an idle daemon: the docker CLI's usual reads and three short containers. */
async function requests(host: string, env: NodeJS.ProcessEnv): Promise<void> {
  const docker = (args: string[]) => run('docker', ['-H', host, ...args], { env, timeoutMs: 60_000 });
  await docker(['version']);
  await docker(['info']);
  await docker(['images']);
  await docker(['image', 'inspect', IMAGE]);
  for (let i = 0; i < 3; i++) await docker(['run', '--rm', '--network', 'none', IMAGE, 'true']);
  await docker(['ps', '-a']);
}

async function waitForImage(host: string, env: NodeJS.ProcessEnv): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await run('docker', ['-H', host, 'image', 'inspect', IMAGE], { env }).then(() => true, () => false)) return;
    await sleep(200);
  }
  throw new Error(`${IMAGE} is not in the daemon's store after 30 s`);
}

async function main(): Promise<void> {
  const work = await mkdtemp('/tmp/berth-bench-rss-');
  const env = { ...process.env, DOCKER_CONFIG: join(work, 'docker-config') };
  const readings: Reading[] = [];
  try {
    const berth: Reading = { name: 'berthd', processes: 'node (dist/berthd.mjs)' };
    readings.push(berth);
    berth.skipped = await berthdMissing(REPO);
    if (!berth.skipped) {
      const d = await startBerthd(REPO, join(work, 'berthd'));
      try {
        await waitForImage(d.host, env);
        await sleep(SETTLE_MS);
        berth.afterStart = await rssOf(d.pid);
        await run('docker', ['-H', d.host, 'save', '-o', join(work, 'busybox.tar'), IMAGE], { env });
        await requests(d.host, env);
        await sleep(SETTLE_MS);
        berth.afterRequests = await rssOf(d.pid);
      } catch (e) {
        berth.skipped = (e as Error).message.split('\n')[0];
      } finally {
        await d.stop();
      }
    }
    const dockerd: Reading = { name: 'dockerd + containerd', processes: 'dockerd, containerd' };
    readings.push(dockerd);
    try { await access('/usr/sbin/dockerd'); } catch { dockerd.skipped = 'dockerd is not installed'; }
    if (!dockerd.skipped) {
      const d = await startDockerd(join(work, 'dockerd'));
      try {
        await sleep(SETTLE_MS);
        dockerd.afterStart = await total([d.pid, await d.containerdPid()]);
        // The same image as berthd's, so both stores hold the same thing.
        await run('docker', ['-H', d.host, 'load', '-i', join(work, 'busybox.tar')], { env });
        await requests(d.host, env);
        await sleep(SETTLE_MS);
        dockerd.afterRequests = await total([d.pid, await d.containerdPid()]);
      } catch (e) {
        dockerd.skipped = (e as Error).message.split('\n')[0];
      } finally {
        await d.stop();
      }
    }
    const report = await writeReport(readings);
    process.stdout.write(`${report}\n`);
  } finally {
    await unmountUnder(work);
    await rm(work, { recursive: true, force: true });
  }
}

/** berthd's larger anonymous reading of the two. */
const berthAnon = (r: Reading) => Math.max(r.afterStart?.anon ?? 0, r.afterRequests?.anon ?? 0);

async function writeReport(readings: Reading[]): Promise<string> {
  const [berth, dockerd] = readings as [Reading, Reading];
  const rows = readings.map((r) => [r.name, r.processes, detail(r.afterStart), detail(r.afterRequests), r.skipped ? `failed: ${r.skipped}` : '']);
  const worst = Math.max(berth.afterStart?.rss ?? Infinity, berth.afterRequests?.rss ?? Infinity);
  const verdict = Number.isFinite(worst)
    ? `berthd idle RSS: **${mb(worst)}** at most (target: under ${TARGET_MB} MB — ${worst < TARGET_MB * 1e6 ? '**met**' : '**not met**'})` +
      (dockerd.afterRequests
        ? `; dockerd + containerd: ${mb(dockerd.afterRequests.rss)} after the same requests (berthd: ${(worst / dockerd.afterRequests.rss).toFixed(2)}× their RSS, ${(berthAnon(berth) / dockerd.afterRequests.anon).toFixed(2)}× their anonymous memory).`
        : '.')
    : `berthd idle RSS: not measured (${berth.skipped ?? 'no result'}).`;
  const body = [
    `Resident memory (VmRSS) of an idle daemon, ${SETTLE_MS / 1000} s after start-up (berthd: after importing its built-in images) and ${SETTLE_MS / 1000} s after a few requests (\`docker version\`, \`info\`, \`images\`, \`image inspect\`, 3 × \`run --rm --network none busybox true\`, \`ps -a\`). dockerd is counted with the containerd it starts (shims excluded: no container is running at either reading). Anon: the process's own pages (heaps, stacks); file: pages of its executable and libraries, shared with every other process of the same binary.`,
    '',
    `- Machine: ${await machineDescription(LOAD_AT_START)}`,
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '- Method: `npm run bench -- rss` (bench/rss.ts); fresh daemons with temporary data roots, one after the other.',
    '',
    markdownTable(['daemon', 'processes', 'after start', 'after requests', 'notes'], rows),
    '',
    verdict,
  ].join('\n');
  await mkdir(join(REPO, 'build', 'bench'), { recursive: true });
  await writeFile(join(REPO, 'build', 'bench', 'rss.json'), JSON.stringify({ date: new Date().toISOString(), readings }, null, 2));
  if (process.env.BENCH_NO_WRITE !== '1') {
    const notes = await handWrittenNotes(join(REPO, 'BENCHMARKS.md'), 'Daemon memory');
    await updateSection(join(REPO, 'BENCHMARKS.md'), 'Daemon memory', notes ? `${body}\n\n${notes}` : body);
  }
  return body;
}

main().catch((e) => {
  log(`rss: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
