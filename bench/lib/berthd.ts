// A temporary berthd from the built bundle, with its own data root, exec root, pidfile and socket.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { httpStatus, run, stopChild, waitFor } from './process.ts';
import { unmountUnder } from './mounts.ts';

export interface Berthd { socket: string; host: string; /** berthd's pid. */ pid: number; stop(): Promise<void> }

/** The bundles `npm run build` makes; BENCH_BERTH_DIST points elsewhere (another build, a stand-in). */
export function berthBundles(repo: string): { berthd: string; berth: string } {
  const dist = process.env.BENCH_BERTH_DIST ?? join(repo, 'dist');
  return { berthd: join(dist, 'berthd.mjs'), berth: join(dist, 'berth.mjs') };
}

/** Why berthd cannot be benchmarked yet, or undefined when its bundle is there. */
export async function berthdMissing(repo: string): Promise<string | undefined> {
  const { berthd } = berthBundles(repo);
  try { await access(berthd); return undefined; } catch { return `${relative(repo, berthd)} is not built yet (npm run build)`; }
}

/** Whether the berth CLI bundle is there; without it the docker CLI can drive berthd instead. */
export async function berthCliPresent(repo: string): Promise<boolean> {
  try { await access(berthBundles(repo).berth); return true; } catch { return false; }
}

/** `nodeArgs`: flags for node itself (e.g. `--cpu-prof`), before the bundle. */
export async function startBerthd(repo: string, dir: string, nodeArgs: string[] = []): Promise<Berthd> {
  await mkdir(dir, { recursive: true });
  const socket = join(dir, 'berth.sock');
  // A short exec root: the shim's sockets live at <exec-root>/containers/<64 hex>/ctl.sock, and a unix socket path
  // has at most 107 bytes, which a deep temp dir would exceed.
  const execRoot = await mkdtemp('/tmp/be-');
  const logPath = join(dir, 'berthd.log');
  // An empty config file of its own, so a host's /etc/berth/daemon.json never changes what is measured.
  await writeFile(join(dir, 'daemon.json'), '{}\n');
  const log = await open(logPath, 'a');
  const child = spawn(process.execPath, [
    ...nodeArgs, berthBundles(repo).berthd, '--data-root', join(dir, 'data'), '-H', `unix://${socket}`,
    '--exec-root', execRoot, '--pidfile', join(dir, 'berthd.pid'),
    '--config-file', join(dir, 'daemon.json'),
    // A default bridge of its own: on berth0 it would adopt the system daemon's bridge and remove it at its shutdown.
    '--bridge', `bb${createHash('sha256').update(dir).digest('hex').slice(0, 10)}`,
  ], { stdio: ['ignore', log.fd, log.fd], cwd: repo });
  await log.close();
  try {
    await waitFor('berthd', async () => (await httpStatus({ socketPath: socket }, '/_ping')) === 200, 30_000, child);
  } catch (e) {
    await stopChild(child);
    await rm(execRoot, { recursive: true, force: true });
    throw new Error(`${(e as Error).message} (log: ${logPath})`);
  }
  return {
    socket, host: `unix://${socket}`, pid: child.pid!,
    stop: async () => {
      await stopChild(child);
      await unmountUnder(dir);
      await unmountUnder(execRoot);
      await rm(execRoot, { recursive: true, force: true });
    },
  };
}

/** Waits until berthd has imported its built-in `image` (it does so at start-up, in the background). */
export async function waitForImage(host: string, env: NodeJS.ProcessEnv, image: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await run('docker', ['-H', host, 'image', 'inspect', image], { env }).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`berthd did not import the built-in ${image} within 30 s`);
}
