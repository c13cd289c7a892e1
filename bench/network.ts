// What a network costs a container start: `run --rm busybox true` on a user-defined bridge network against the same
// run with `--network none`, and on the network with a published port (`-p 127.0.0.1::80`: the userland proxy), for
// the docker CLI against berthd and against dockerd, and podman with `--network none` only (its bridge networking
// writes host firewall rules, which nothing here may do). Reported per engine: the milliseconds the network (and the
// port) adds (median of the paired per-round differences) and the ratio of the medians; then the same over the Engine
// API, step by step, to show where the added time goes. Target (issue 5): under 15 ms for berth.
// Rounds interleave engines and modes, rotating which mode goes first, so that load from elsewhere on the machine
// falls on all of them alike.
// Env: BENCH_RUNS (rounds, default 40: the differences are small next to the noise), BENCH_NO_WRITE=1.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { berthdMissing, startBerthd, waitForImage } from './lib/berthd.ts';
import { startDockerd } from './lib/dockerd.ts';
import { httpStatus, onPath, run, runTimed, waitFor } from './lib/process.ts';
import { preparePodman } from './lib/podman.ts';
import { handWrittenNotes, machineDescription, markdownTable, median, updateSection } from './lib/report.ts';
import { runPhases, type Phases } from './lib/run-phases.ts';
import { workspace } from './lib/workspace.ts';

const REPO = resolve(import.meta.dirname, '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 40));
const WARMUP = 2;
const IMAGE = 'busybox:latest';
const FULL_IMAGE = 'docker.io/library/busybox:latest';
const NETWORK = 'benchnet';
const TARGET_MS = 15;
const SECTION = 'Networks';
const TIMEOUT_MS = 30_000;
const LOAD_AT_START = loadavg()[0]!;
// Proves the container really was on the network: its eth0 has an IPv4 address (printed), or the check fails.
const SHOW_ADDRESS = ['sh', '-c', 'ip -o -4 addr show dev eth0 | awk \'{print $4}\''];

type Mode = 'none' | 'network' | 'published';
const MODES: Mode[] = ['none', 'network', 'published'];
// The docker CLI's flags for each mode.
const MODE_FLAGS: Record<Mode, string[]> = {
  none: ['--network', 'none'],
  network: ['--network', NETWORK],
  published: ['--network', NETWORK, '-p', '127.0.0.1::80'],
};
// busybox httpd, so that a published port can be shown to answer from the host.
const HTTPD = ['sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www'];

interface Engine {
  name: string;
  skipped?: string;
  note?: string;
  /** Which modes this engine runs: podman only `none`. */
  modes: Mode[];
  run(mode: Mode, cmd: string[]): Promise<{ seconds: number; stdout: string }>;
  /** The daemon's socket for the API phases, and its name there; none for podman. */
  socket?: string;
  daemon?: string;
  /** The network's subnet as the engine reports it (the address check's reference). */
  subnet?: string;
  /** DOCKER_HOST of a daemon (the published port's check); none for podman. */
  host?: string;
  times: Record<Mode, number[]>;
  /** network − none, per round (same round, adjacent runs). */
  added: number[];
  /** published − network, per round: what the published port adds. */
  addedByPort: number[];
  phases: Record<Mode, Phases[]>;
  phasesSkipped?: string;
}

function log(line: string): void { process.stderr.write(`${line}\n`); }

/** Whether an IPv4 address (dotted quad) lies in a CIDR subnet. */
function inSubnet(address: string, cidr: string): boolean {
  const num = (a: string) => a.split('.').reduce((n, b) => n * 256 + Number(b), 0);
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(num(address) / size) === Math.floor(num(base) / size);
}

async function main(): Promise<void> {
  const ws = await workspace('/tmp/berth-bench-network-', log);
  const work = ws.dir;
  const uptimeAtStart = (await run('uptime', []).catch(() => '?')).trim();
  try {
    const env = { ...process.env, DOCKER_CONFIG: join(work, 'docker-config') };
    const docker = (host: string, args: string[]) => runTimed('docker', ['-H', host, ...args], { env, timeoutMs: TIMEOUT_MS });
    const missingBerthd = await berthdMissing(REPO);
    if (missingBerthd) throw new Error(`cannot benchmark berth: ${missingBerthd}`);

    const engines: Engine[] = [];
    const newEngine = (e: Pick<Engine, 'name' | 'modes' | 'run'> & Partial<Engine>): Engine =>
      ({ times: { none: [], network: [], published: [] }, added: [], addedByPort: [], phases: { none: [], network: [], published: [] }, ...e });

    const berthd = await startBerthd(REPO, join(work, 'berthd'));
    ws.defer(() => berthd.stop());
    ws.defer(() => removeAll(berthd.host, env));
    await waitForImage(berthd.host, env, IMAGE);
    const saved = join(work, 'busybox.tar');
    await docker(berthd.host, ['save', '-o', saved, IMAGE]);
    const dockerEngine = (name: string, daemon: string, host: string, socket: string) => newEngine({
      name, daemon, socket, modes: MODES,
      run: (mode, cmd) => docker(host, ['run', '--rm', ...MODE_FLAGS[mode], IMAGE, ...cmd]),
      host,
    });
    const berth = dockerEngine('docker CLI → berthd', 'berthd', berthd.host, berthd.socket);
    engines.push(berth);
    berth.subnet = await createNetwork(berthd.host, env).catch((e) => {
      berth.skipped = `network create failed: ${(e as Error).message.split('\n')[0]}`;
      return undefined;
    });

    if (await onPath('dockerd')) {
      const dockerd = await startDockerd(join(work, 'dockerd'));
      ws.defer(() => dockerd.stop());
      ws.defer(() => removeAll(dockerd.host, env));
      await docker(dockerd.host, ['load', '-i', saved]);
      const e = dockerEngine('docker CLI → dockerd', 'dockerd', dockerd.host, dockerd.socket);
      e.note = '`--iptables=false --ip-masq=false`: no NAT, no firewall rules, as berth';
      e.subnet = await createNetwork(dockerd.host, env).catch((err) => {
        e.skipped = `network create failed: ${(err as Error).message.split('\n')[0]}`;
        return undefined;
      });
      engines.push(e);
    } else {
      engines.push(newEngine({ name: 'docker CLI → dockerd', modes: [], skipped: 'dockerd is not installed', run: () => Promise.reject(new Error('skipped')) }));
    }

    const podman = await onPath('podman') ? await preparePodman(join(work, 'podman'), saved) : undefined;
    if (podman) ws.defer(() => podman.cleanUp());
    engines.push(newEngine({
      name: 'podman (runc)', modes: ['none'],
      skipped: podman ? undefined : 'podman is not installed',
      note: `\`--runtime runc --network none ${podman?.ulimits.join(' ')}\`; its bridge network is not measured: it writes host firewall rules`,
      run: (_mode, cmd) => runTimed('podman', [...podman!.global, 'run', '--rm', '--network', 'none', ...podman!.ulimits, FULL_IMAGE, ...cmd],
        { timeoutMs: TIMEOUT_MS }),
    }));

    // A fast run that ran nothing, or ran without the network, must not count.
    for (const e of engines) {
      if (e.skipped) continue;
      try {
        const mark = `berth-bench-${process.pid}`;
        const echoed = (await e.run('none', ['echo', mark])).stdout;
        if (echoed !== `${mark}\n`) throw new Error(`\`echo ${mark}\` printed ${JSON.stringify(echoed)}`);
        if (e.modes.includes('network')) {
          const address = (await e.run('network', SHOW_ADDRESS)).stdout.trim().split('/')[0] ?? '';
          if (!e.subnet || !/^\d+\.\d+\.\d+\.\d+$/.test(address) || !inSubnet(address, e.subnet)) {
            throw new Error(`eth0 on ${NETWORK} had address ${JSON.stringify(address)}, not one in ${e.subnet}`);
          }
          log(`network: ${e.name}: eth0 ${address} in ${e.subnet}`);
        }
        if (e.modes.includes('published')) log(`network: ${e.name}: ${await checkPublishedPort(e.host!, env)}`);
      } catch (err) {
        e.skipped = `failed the output check: ${(err as Error).message.split('\n')[0]}`;
        log(`network: ${e.name}: ${e.skipped}`);
      }
    }

    for (let round = 1 - WARMUP; round <= RUNS; round++) {
      for (const e of engines) {
        if (e.skipped) continue;
        const shift = (round + WARMUP) % e.modes.length;
        const order: Mode[] = [...e.modes.slice(shift), ...e.modes.slice(0, shift)];
        const got: Partial<Record<Mode, number>> = {};
        try {
          for (const mode of order) {
            got[mode] = (await e.run(mode, ['true'])).seconds;
            log(`network: ${round < 1 ? 'warm-up' : `round ${round}/${RUNS}`}: ${e.name}, ${mode}: ${got[mode]!.toFixed(3)} s`);
          }
        } catch (err) {
          e.skipped = `failed in ${round < 1 ? 'warm-up' : `round ${round}`}: ${(err as Error).message.split('\n')[0]}`;
          log(`network: ${e.name}: ${e.skipped}`);
          continue;
        }
        if (round < 1) continue;
        for (const mode of e.modes) e.times[mode].push(got[mode]!);
        if (got.none !== undefined && got.network !== undefined) e.added.push(got.network - got.none);
        if (got.network !== undefined && got.published !== undefined) e.addedByPort.push(got.published - got.network);
      }
    }

    // The same over the API: which step the network's time lands in, without the CLI's start-up.
    for (let round = 1 - WARMUP; round <= RUNS; round++) {
      for (const e of engines) {
        if (e.skipped || !e.socket || e.phasesSkipped) continue;
        try {
          for (const mode of round % 2 ? ['network', 'none'] as Mode[] : ['none', 'network'] as Mode[]) {
            const p = await runPhases(e.socket, IMAGE, ['true'], mode === 'none' ? 'none' : NETWORK);
            if (round >= 1) e.phases[mode].push(p);
          }
        } catch (err) {
          e.phasesSkipped = (err as Error).message.split('\n')[0];
          log(`network: phases via the API, ${e.name}: ${e.phasesSkipped}`);
        }
      }
    }
    const uptimeAtEnd = (await run('uptime', []).catch(() => '?')).trim();
    process.stdout.write(`${await writeReport(engines, { uptimeAtStart, uptimeAtEnd })}\n`);
  } finally {
    await ws.cleanUp();
  }
}

/**
 * A detached httpd on the network with `-p 127.0.0.1::80` answers a GET on its host port: the published mode's runs
 * really publish a port that forwards. Returns what it saw.
 */
async function checkPublishedPort(host: string, env: NodeJS.ProcessEnv): Promise<string> {
  const docker = (args: string[]) => run('docker', ['-H', host, ...args], { env, timeoutMs: TIMEOUT_MS });
  const id = (await docker(['run', '-d', ...MODE_FLAGS.published, IMAGE, ...HTTPD])).trim();
  try {
    const bound = (await docker(['port', id, '80/tcp'])).split('\n')[0]!.trim();
    const port = Number(/^127\.0\.0\.1:(\d+)$/.exec(bound)?.[1]);
    if (!port) throw new Error(`docker port printed ${JSON.stringify(bound)}`);
    let status = 0;
    await waitFor(`httpd on ${bound}`, async () => (status = await httpStatus({ host: '127.0.0.1', port }, '/')) === 200, 10_000);
    return `-p 127.0.0.1::80 published ${bound}, GET / answered ${status}`;
  } finally {
    await docker(['rm', '-f', id]).catch(() => '');
  }
}

/** Creates the bridge network the runs use and returns its subnet as the engine's inspect shows it. */
async function createNetwork(host: string, env: NodeJS.ProcessEnv): Promise<string> {
  await run('docker', ['-H', host, 'network', 'create', NETWORK], { env });
  const subnet = (await run('docker', ['-H', host, 'network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', NETWORK], { env })).trim();
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(subnet)) throw new Error(`network inspect gave the subnet ${JSON.stringify(subnet)}`);
  return subnet;
}

async function removeAll(host: string, env: NodeJS.ProcessEnv): Promise<void> {
  const ids = (await run('docker', ['-H', host, 'ps', '-aq'], { env }).catch(() => '')).split('\n').filter(Boolean);
  if (ids.length) await run('docker', ['-H', host, 'rm', '-f', ...ids], { env, timeoutMs: 120_000 });
  await run('docker', ['-H', host, 'network', 'rm', NETWORK], { env }).catch(() => '');
}

/** The middle half of the per-round differences (their quartiles, nearest rank): how far apart two runs fall by noise. */
function middleHalf(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `${signedMs(at(0.25))} to ${signedMs(at(0.75))}`;
}

const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
const signedMs = (s: number) => `${s >= 0 ? '+' : '−'}${Math.abs(s * 1000).toFixed(1)} ms`;

function rows(engines: Engine[]): string[][] {
  const dockerd = engines.find((e) => e.daemon === 'dockerd');
  const dockerdNet = dockerd?.times.network.length ? median(dockerd.times.network) : undefined;
  return engines.map((e) => {
    const none = e.times.none.length ? median(e.times.none) : undefined;
    const net = e.times.network.length ? median(e.times.network) : undefined;
    const published = e.times.published.length ? median(e.times.published) : undefined;
    if (none === undefined && net === undefined) return [e.name, '—', '—', '—', '—', '—', '—', '—', `not run: ${e.skipped ?? 'no result'}`];
    const notes = [
      e.skipped ? `stopped: ${e.skipped}` : `${e.times.none.length} rounds`,
      ...(e.subnet ? [`network ${e.subnet}`] : []),
      ...(e.note ? [e.note] : []),
    ].join('; ');
    return [
      e.name, none === undefined ? '—' : ms(none), net === undefined ? '—' : ms(net),
      e.added.length ? `**${signedMs(median(e.added))}**` : '—',
      none !== undefined && net !== undefined ? `${(net / none).toFixed(2)}×` : '—',
      net !== undefined && dockerdNet !== undefined ? `${(net / dockerdNet).toFixed(2)}×` : '—',
      published === undefined ? '—' : ms(published),
      e.addedByPort.length ? signedMs(median(e.addedByPort)) : '—', notes,
    ];
  });
}

function phaseTable(engines: Engine[]): string {
  const measured = engines.filter((e) => e.socket && (e.phases.none.length || e.phasesSkipped));
  const steps: [keyof Phases, string][] = [
    ['create', 'POST /containers/create'], ['start', 'POST /start'],
    ['exitAndRemove', 'start answered → wait?condition=removed answered'], ['total', 'total'],
  ];
  const header = ['step', ...measured.flatMap((e) => [`${e.daemon}: none`, `${e.daemon}: ${NETWORK}`, 'added'])];
  const cells = (e: Engine, k: keyof Phases) => {
    if (!e.phases.none.length || !e.phases.network.length) return ['—', `— (${e.phasesSkipped ?? 'no result'})`, '—'];
    const none = median(e.phases.none.map((p) => p[k]));
    const net = median(e.phases.network.map((p) => p[k]));
    return [ms(none), ms(net), signedMs(net - none)];
  };
  return markdownTable(header, steps.map(([k, label]) => [label, ...measured.flatMap((e) => cells(e, k))]));
}

async function writeReport(engines: Engine[], load: { uptimeAtStart: string; uptimeAtEnd: string }): Promise<string> {
  const [berth, dockerd] = engines as [Engine, Engine];
  let verdict: string;
  if (berth.added.length) {
    const added = median(berth.added) * 1000;
    verdict = `berth: the network adds **${signedMs(added / 1000)}** to \`run --rm\` (median of the per-round differences, ` +
      `the middle half of them from ${middleHalf(berth.added)}; ` +
      `target: under ${TARGET_MS} ms — ${added < TARGET_MS ? '**met**' : '**not met**'})` +
      (dockerd.added.length ? `; dockerd: ${signedMs(median(dockerd.added))} (${middleHalf(dockerd.added)}).` : '.') +
      (berth.addedByPort.length ? ` A published port adds ${signedMs(median(berth.addedByPort))} (${middleHalf(berth.addedByPort)}) more to berth's run` +
        (dockerd.addedByPort.length ? `, ${signedMs(median(dockerd.addedByPort))} (${middleHalf(dockerd.addedByPort)}) to dockerd's (one docker-proxy process per port).` : '.') : '');
  } else {
    verdict = `berth: the network's cost was not measured (${berth.skipped ?? 'no result'}).`;
  }
  const version = async (cmd: string) =>
    /\s(v?\d[^\s,]*)/.exec((await run(cmd, ['--version']).catch(() => '')).split('\n')[0]!)?.[1] ?? '?';
  const body = [
    `\`run --rm busybox true\` on a user-defined bridge network (\`docker network create ${NETWORK}\`, the engine picks the subnet) ` +
      'against the same run with `--network none`, and on the network with a published port (`-p 127.0.0.1::80`), ' +
      'end to end (wall clock from the client\'s start to its exit).',
    '',
    `- Machine: ${await machineDescription(LOAD_AT_START)}`,
    `- Load (\`uptime\`): at the start \`${load.uptimeAtStart}\`; at the end \`${load.uptimeAtEnd}\``,
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Tools: docker CLI ${await version('docker')}, dockerd ${await version('dockerd')}, podman ${await version('podman')}`,
    `- Method: \`npm run bench -- network\` (bench/network.ts). One berthd (dist/berthd.mjs, its built-in busybox, a default bridge of its own), one dockerd (own data root, exec root, containerd namespace; \`--iptables=false --ip-masq=false --bridge=none\`), podman with its own root (\`--network none\` only). The same busybox everywhere (\`docker save\`d from berthd). Before timing, each engine's container on ${NETWORK} must show an eth0 address in the network's subnet, and a detached httpd published with \`-p 127.0.0.1::80\` must answer a GET from the host. ${WARMUP} warm-up rounds, then ${RUNS} rounds; each round runs every mode of every engine back to back, rotating which mode goes first. "added" is the median of the per-round differences (network − none; for the port: published − network), "ratio" the median with the network over the median without, \"time vs dockerd\" the median on the network over dockerd's.`,
    '',
    markdownTable(['engine', '--network none', `--network ${NETWORK}`, 'added by the network', 'ratio', `on ${NETWORK}: time vs dockerd`, `${NETWORK} -p 127.0.0.1::80`, 'added by the port', 'notes'], rows(engines)),
    '',
    verdict,
    '',
    `The same over the Engine API, step by step as the docker CLI sends it (medians of ${RUNS} runs per mode after ${WARMUP} warm-ups; no CLI start-up):`,
    '',
    phaseTable(engines),
  ].join('\n');
  await mkdir(join(REPO, 'build', 'bench'), { recursive: true });
  await writeFile(join(REPO, 'build', 'bench', 'network.json'), JSON.stringify({
    date: new Date().toISOString(), load,
    engines: engines.map(({ name, times, added, addedByPort, phases, skipped, subnet }) => ({ name, times, added, addedByPort, phases, skipped, subnet })),
  }, null, 2));
  if (process.env.BENCH_NO_WRITE !== '1') {
    const notes = await handWrittenNotes(join(REPO, 'BENCHMARKS.md'), SECTION);
    await updateSection(join(REPO, 'BENCHMARKS.md'), SECTION, notes ? `${body}\n\n${notes}` : body);
  }
  return body;
}

main().catch((e) => {
  log(`network: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
