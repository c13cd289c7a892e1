// Starts a real dockerd (Debian's docker.io) for interop tests, fenced off from the host: its own
// data root, exec root, pidfile and socket under a temp dir, no iptables rules, no masquerading and
// no bridge (so no docker0), and its own containerd namespaces. It cannot reach Docker Hub, so
// images come from `docker import`/`docker load` or from a loopback registry.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, runCommand, type RunOptions, type RunResult } from './docker-cli.ts';
import { waitFor } from './ports.ts';
import { removeDir, tempDir } from './tmp.ts';
import { unixRequest } from './berthd.ts';

export const DOCKERD = process.env.BERTH_TEST_DOCKERD
  ?? ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p)) ?? '/usr/sbin/dockerd';
export const BUSYBOX = '/bin/busybox';

export interface TestDockerd {
  /** `unix:///tmp/.../docker.sock`: for DOCKER_HOST. */
  host: string;
  socket: string;
  dir: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  /** `overlay2` when the kernel and backing filesystem allow it, else `vfs`. */
  storageDriver: string;
  process: ChildProcess;
  /** dockerd's output so far (for failure messages). */
  logs(): string;
  /** The real docker CLI against this daemon. */
  docker(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** `docker ARGS` that must succeed: returns stdout, throws with the command, stderr and daemon log otherwise. */
  dockerOk(args: string[], opts?: RunOptions): Promise<string>;
  /** SIGTERM, wait (SIGKILL after a grace period), then reap its containerd; returns dockerd's exit code. */
  stop(): Promise<number | null>;
  /** stop(), unmount whatever is left under the temp dir, remove it. */
  cleanup(): Promise<void>;
}

export interface StartDockerdOptions {
  /** Storage drivers to try in order (default overlay2, then vfs). */
  storageDrivers?: string[];
  /** Extra dockerd flags. */
  args?: string[];
  startTimeoutMs?: number;
}

/** Why dockerd-based tests cannot run here, or null when they can (use as `{ skip: dockerdMissing() ?? false }`). */
export function dockerdMissing(): string | null {
  if (!existsSync(DOCKERD)) return `${DOCKERD} is not installed (apt-get install docker.io)`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'dockerd needs root';
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is not installed (apt-get install busybox-static)`;
  return null;
}

/** Host network state a test dockerd must leave alone: links and firewall rules. */
export function hostNetworkSnapshot(): { links: string[]; iptables: string } {
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout
    .split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '').filter(Boolean).sort();
  const rules = ['filter', 'nat'].map((table) => {
    const r = spawnSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' });
    return `# ${table}\n${r.error ? `(iptables unavailable: ${r.error.message})` : r.stdout + r.stderr}`;
  });
  return { links, iptables: rules.join('\n') };
}

/** Mount points at or below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

function unmountAll(dir: string): void {
  // dockerd bind-mounts its data root onto itself and leaves netns and overlay mounts behind when
  // killed; lazy unmounts so a busy mount cannot stop the clean-up.
  for (let i = 0; i < 5; i++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return;
    for (const m of mounts) spawnSync('umount', ['-l', m]);
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function launch(storageDriver: string, opts: StartDockerdOptions): Promise<TestDockerd> {
  // Short paths: containerd's sockets live under the exec root and unix socket paths are limited to 108 bytes.
  const dir = await tempDir('dkd-');
  const socket = join(dir, 'docker.sock');
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'exec');
  const pidfile = join(dir, 'dockerd.pid');
  // Own namespaces: if a system containerd is running, dockerd uses it, and parallel test daemons
  // must not see each other's containers.
  const ns = `berth-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const args = [
    '-H', `unix://${socket}`, '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', pidfile,
    '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--bridge=none',
    '--storage-driver', storageDriver, '--containerd-namespace', ns, '--containerd-plugins-namespace', `${ns}-plugins`,
    '--config-file', join(dir, 'daemon.json'), '--log-level', 'warn', ...(opts.args ?? []),
  ];
  mkdirSync(dataRoot, { recursive: true });
  // An empty config file, so the host's /etc/docker/daemon.json can never leak in.
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const child = spawn(DOCKERD, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: dir } });
  let logs = '';
  child.stdout!.on('data', (d: Buffer) => { logs += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { logs += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const host = `unix://${socket}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      // dockerd waits up to 15 s for containers to stop; do not wait longer than that.
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    // dockerd stops the containerd it started; after a SIGKILL it cannot, so reap it by its pidfile.
    const cpid = join(execRoot, 'containerd', 'containerd.pid');
    if (existsSync(cpid)) {
      const pid = Number(readFileSync(cpid, 'utf8').trim());
      if (pid > 0 && alive(pid)) {
        process.kill(pid, 'SIGTERM');
        await waitFor('containerd to exit', async () => !alive(pid), 10_000).catch(() => { if (alive(pid)) process.kill(pid, 'SIGKILL'); });
      }
    }
    return child.exitCode;
  };
  const daemon: TestDockerd = {
    host, socket, dir, dataRoot, execRoot, pidfile, storageDriver, process: child,
    logs: () => logs,
    docker: (a, o) => docker(host, a, o),
    dockerOk: async (a, o) => {
      const r = await docker(host, a, o);
      if (r.code !== 0) {
        throw new Error(`docker ${a.join(' ')} exited ${r.code}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}\n--- dockerd log (tail) ---\n${logs.slice(-3000)}`);
      }
      return r.stdout;
    },
    stop,
    cleanup: async () => {
      // dockerd keeps its user networks' bridges after it stops: remove the networks (and so the
      // containers on them) while it runs, or their subnets stay taken on the host.
      if (child.exitCode === null && child.signalCode === null) {
        const ids = (await docker(host, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
        if (ids.length) await docker(host, ['rm', '-f', ...ids]);
        await docker(host, ['network', 'prune', '-f']);
      }
      await stop();
      unmountAll(dir);
      await removeDir(dir);
    },
  };
  try {
    await Promise.race([
      waitFor('dockerd to answer /_ping', async () => existsSync(socket) && (await unixRequest(socket, 'GET', '/_ping')).status === 200, opts.startTimeoutMs ?? 30_000),
      exited.then((code) => { throw new Error(`dockerd exited with ${code} at start-up`); }),
    ]);
  } catch (e) {
    await daemon.cleanup();
    throw new Error(`${(e as Error).message}\n--- dockerd ${args.join(' ')} ---\n${logs}`);
  }
  return daemon;
}

/**
 * Starts a dockerd on a temp socket. Throws if it fails to start with every storage driver, or if
 * it created a docker0 link (which would mean it touched the host's network).
 */
export async function startDockerd(opts: StartDockerdOptions = {}): Promise<TestDockerd> {
  const before = hostNetworkSnapshot();
  const errors: string[] = [];
  for (const driver of opts.storageDrivers ?? ['overlay2', 'vfs']) {
    let d: TestDockerd;
    try {
      d = await launch(driver, opts);
    } catch (e) {
      errors.push(`${driver}: ${(e as Error).message}`);
      continue;
    }
    const after = hostNetworkSnapshot();
    if (after.links.includes('docker0') && !before.links.includes('docker0')) {
      await d.cleanup();
      throw new Error('the test dockerd created a docker0 link although it was started with --bridge=none');
    }
    return d;
  }
  throw new Error(`could not start dockerd:\n${errors.join('\n')}`);
}

/**
 * A tar of a minimal busybox root filesystem (Debian's static busybox and a few applet links),
 * for `docker import`: a runnable image without any registry.
 */
export async function busyboxRootfsTar(): Promise<{ path: string; dir: string }> {
  const dir = await tempDir('bbroot-');
  const root = join(dir, 'rootfs');
  mkdirSync(join(root, 'bin'), { recursive: true });
  for (const d of ['etc', 'tmp', 'proc', 'sys', 'dev']) mkdirSync(join(root, d));
  copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
  chmodSync(join(root, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'cat', 'ls', 'uname', 'true']) symlinkSync('busybox', join(root, 'bin', applet));
  const path = join(dir, 'rootfs.tar');
  // Fixed owner and mtime: the same busybox gives the same layer digest on every run.
  const r = await runCommand('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=2024-01-01 00:00:00Z', '-C', root, '-cf', path, '.'],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  if (r.code !== 0) throw new Error(`tar failed: ${r.stderr}`);
  return { path, dir };
}

/** `docker import`s a busybox image as `ref` (CMD sh); returns its image ID. */
export async function importBusybox(d: TestDockerd, ref: string): Promise<string> {
  const tar = await busyboxRootfsTar();
  try {
    return (await d.dockerOk(['import', '--change', 'CMD ["sh"]', '--change', 'ENV PATH=/bin', tar.path, ref])).trim();
  } finally {
    await removeDir(tar.dir);
  }
}
