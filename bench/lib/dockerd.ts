// A temporary dockerd of its own (data root, exec root, socket, pidfile under one temp dir) that never touches
// the host's firewall or bridge: --iptables=false --ip-masq=false --bridge=none.
import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { httpStatus, stopChild, waitFor } from './process.ts';

export interface Dockerd { socket: string; host: string; stop(): Promise<void> }

export async function startDockerd(dir: string): Promise<Dockerd> {
  await mkdir(dir, { recursive: true });
  const socket = join(dir, 'docker.sock');
  const log = await open(join(dir, 'dockerd.log'), 'a');
  const child = spawn('dockerd', [
    '--iptables=false', '--ip-masq=false', '--bridge=none',
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'),
    '-H', `unix://${socket}`,
  ], { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  try {
    await waitFor('dockerd', async () => (await httpStatus({ socketPath: socket }, '/_ping')) === 200, 60_000, child);
  } catch (e) {
    await stopChild(child, 20_000);
    throw new Error(`${(e as Error).message} (log: ${join(dir, 'dockerd.log')})`);
  }
  // dockerd stops the containerd it started when it exits.
  return { socket, host: `unix://${socket}`, stop: () => stopChild(child, 20_000) };
}
