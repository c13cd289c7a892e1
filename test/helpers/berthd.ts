// Starts a berthd for a test: its own socket, data root, exec root and pidfile under a temp dir,
// with helpers to talk to it (fetch over the socket, the docker CLI) and to stop it cleanly.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { waitFor } from './ports.ts';
import { removeDir, tempDir } from './tmp.ts';
import { REPO_ROOT } from './registry.ts';
import { docker, type RunOptions, type RunResult } from './docker-cli.ts';

export interface TestDaemon {
  /** `unix:///tmp/.../berth.sock`: for DOCKER_HOST. */
  host: string;
  socket: string;
  dir: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  process: ChildProcess;
  /** The daemon's stderr so far. */
  logs(): string;
  /** An HTTP request over the socket; the body is read whole. */
  request(method: string, path: string, body?: string | Uint8Array, headers?: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;
  /** The real docker CLI against this daemon. */
  docker(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** SIGTERM, wait for exit; returns the exit code. Leaves the temp dir (see cleanup). */
  stop(): Promise<number | null>;
  /** stop() and remove the temp dir. */
  cleanup(): Promise<void>;
}

export interface StartOptions {
  /** Extra berthd flags. */
  args?: string[];
  /** `--builtin-images` (default: none, so tests do not depend on build/images unless they ask). */
  builtinImages?: string | null;
  /** Reuse a data root (e.g. to test restarts). */
  dataRoot?: string;
  env?: Record<string, string>;
  /** Run the bundle (dist/berthd.mjs) instead of the sources. */
  bundle?: boolean;
}

export const BERTHD_MAIN = join(REPO_ROOT, 'host-linux/daemon/main.ts');
export const BERTHD_BUNDLE = join(REPO_ROOT, 'dist/berthd.mjs');

export function berthdCommand(bundle = false): string[] {
  return bundle ? [process.execPath, BERTHD_BUNDLE] : [process.execPath, '--import', 'tsx', BERTHD_MAIN];
}

export function unixRequest(socket: string, method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, headers: { host: 'api.moby.localhost', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The default bridge of a test daemon: its own per data root (a restarted daemon finds its
 * bridge again), never the system daemon's berth0.
 */
export function testBridge(dataRoot: string): string {
  return `bt${createHash('sha256').update(dataRoot).digest('hex').slice(0, 10)}`;
}

/**
 * Removes what a daemon killed without its shutdown left of its default bridge: the link and
 * berth's rules naming it (a cleanly stopped daemon without containers removed them itself).
 */
function removeTestBridge(bridge: string): void {
  const ip = (args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });
  try { ip(['link', 'delete', bridge, 'type', 'bridge']); } catch { /* gone already */ }
  for (let i = 0; i < 4; i++) {
    try { ip(['rule', 'delete', 'iif', bridge]); } catch { break; }
  }
}

export async function startBerthd(opts: StartOptions = {}): Promise<TestDaemon> {
  const dir = await tempDir('berthd-');
  const socket = join(dir, 'berth.sock');
  const dataRoot = opts.dataRoot ?? join(dir, 'data');
  const execRoot = join(dir, 'exec');
  const pidfile = join(dir, 'berthd.pid');
  const [cmd, ...pre] = berthdCommand(opts.bundle);
  // An empty daemon.json of its own, so a host's /etc/berth/daemon.json never leaks into a test.
  await writeFile(join(dir, 'daemon.json'), '{}\n');
  const given = opts.args ?? [];
  const bridge = given.find((a, i) => given[i - 1] === '--bridge' || given[i - 1] === '-b') ?? testBridge(dataRoot);
  const args = [...pre, '-H', `unix://${socket}`, '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', pidfile,
    '--config-file', join(dir, 'daemon.json'), '--builtin-images', opts.builtinImages ?? join(dir, 'no-builtin-images'),
    ...(given.some((a) => a === '--bridge' || a === '-b') ? [] : ['--bridge', bridge]), ...given];
  const child = spawn(cmd!, args, { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (d: Buffer) => { logs += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { logs += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const host = `unix://${socket}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(t);
      return code;
    }
    return child.exitCode;
  };
  const daemon: TestDaemon = {
    host, socket, dir, dataRoot, execRoot, pidfile, process: child,
    logs: () => logs,
    request: (method, path, body, headers) => unixRequest(socket, method, path, body, headers),
    docker: (a, o) => docker(host, a, o),
    stop,
    cleanup: async () => { await stop(); removeTestBridge(bridge); await removeDir(dir); },
  };
  try {
    await Promise.race([
      waitFor('berthd to answer /_ping', async () => existsSync(socket) && (await unixRequest(socket, 'GET', '/_ping')).status === 200, 20_000),
      exited.then((code) => { throw new Error(`berthd exited with ${code} at start-up`); }),
    ]);
  } catch (e) {
    await daemon.cleanup();
    throw new Error(`${(e as Error).message}\n--- berthd log ---\n${logs}`);
  }
  return daemon;
}
