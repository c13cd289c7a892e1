// A temporary dockerd of its own (data root, exec root, socket, pidfile under one temp dir) that never touches
// the host's firewall or bridge: --iptables=false --ip-masq=false --bridge=none. As test/helpers/dockerd.ts does, it
// gets an empty config file (the host's /etc/docker/daemon.json must not leak in) and containerd namespaces of its
// own (a system containerd, if one runs, must not mix its containers with ours).
import { spawn } from 'node:child_process';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpStatus, stopChild, waitFor } from './process.ts';
import { unmountUnder } from './mounts.ts';

export interface Dockerd {
  socket: string;
  host: string;
  /** dockerd's pid. */
  pid: number;
  /** The pid of the containerd this dockerd started (read from its pidfile), if any. */
  containerdPid(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function startDockerd(dir: string): Promise<Dockerd> {
  await mkdir(dir, { recursive: true });
  const socket = join(dir, 'docker.sock');
  const execRoot = join(dir, 'exec');
  const config = join(dir, 'daemon.json');
  await writeFile(config, '{}\n');
  const ns = `berth-bench-${process.pid}`;
  const log = await open(join(dir, 'dockerd.log'), 'a');
  const child = spawn('dockerd', [
    '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--bridge=none',
    '--data-root', join(dir, 'data'), '--exec-root', execRoot, '--pidfile', join(dir, 'dockerd.pid'),
    '--config-file', config, '--containerd-namespace', ns, '--containerd-plugins-namespace', `${ns}-plugins`,
    '-H', `unix://${socket}`,
  ], { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  const containerdPid = async () => {
    const pid = Number((await readFile(join(execRoot, 'containerd', 'containerd.pid'), 'utf8').catch(() => '')).trim());
    return pid > 0 ? pid : undefined;
  };
  const stop = async () => {
    const cpid = await containerdPid();
    // dockerd stops the containerd it started when it exits; after a SIGKILL it cannot, so reap it here.
    await stopChild(child, 20_000);
    if (cpid !== undefined && alive(cpid)) {
      process.kill(cpid, 'SIGTERM');
      await waitFor('containerd to exit', async () => !alive(cpid), 10_000).catch(() => { if (alive(cpid)) process.kill(cpid, 'SIGKILL'); });
    }
    // dockerd bind-mounts its data root onto itself and can leave overlay and netns mounts behind.
    await unmountUnder(dir);
  };
  try {
    await waitFor('dockerd', async () => (await httpStatus({ socketPath: socket }, '/_ping')) === 200, 60_000, child);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message} (log: ${join(dir, 'dockerd.log')})`);
  }
  return { socket, host: `unix://${socket}`, pid: child.pid!, containerdPid, stop };
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
