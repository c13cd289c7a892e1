// OCI bundles made from the built-in busybox image, and a small client for berth-shim (its command line,
// ctl.sock and attach.sock, as host-linux/runtime/DESIGN.md describes them), for runtime tests.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DEFAULT_SHM_SIZE, defaultMounts } from '../../core/runtime-spec/mounts.ts';
import { unpackLayer } from '../../host-linux/snapshot/unpack.ts';
import { removeDir, tempDir } from './tmp.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const RUNTIME_BUILD = join(REPO, 'host-linux/runtime/build');
export const SHIM = join(RUNTIME_BUILD, 'berth-shim');
export const INIT = join(RUNTIME_BUILD, 'berth-init');
const IMAGES = join(REPO, 'build/images');

function newest(dir: string): number {
  return Math.max(0, ...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
}

/** Builds berth-shim and berth-init when missing or older than their sources. */
export function buildRuntime(): void {
  const built = [SHIM, INIT].every((f) => existsSync(f));
  const src = Math.max(newest(join(REPO, 'host-linux/runtime/shim')), newest(join(REPO, 'host-linux/runtime/init')));
  if (built && Math.min(statSync(SHIM).mtimeMs, statSync(INIT).mtimeMs) >= src) return;
  const r = spawnSync('bash', [join(REPO, 'scripts/build-runtime.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/build-runtime.sh failed:\n${r.stdout}${r.stderr}`);
}

/** Why runtime tests cannot run here, or null. */
export function runtimeMissing(): string | null {
  if (process.getuid?.() !== 0) return 'containers need root';
  if (!existsSync(join(IMAGES, 'index.json'))) return 'no built-in images (node --import tsx host-linux/builtin/make-images.ts --out build/images)';
  return null;
}

function blob(digest: string): string {
  return join(IMAGES, 'blobs', ...digest.split(':'));
}

function json(digest: string): any {
  return JSON.parse(readFileSync(blob(digest), 'utf8'));
}

/** The built-in busybox image for linux/amd64: its layer blobs (gzip) and its config. */
export function busyboxImage(): { layers: string[]; config: any } {
  const top = JSON.parse(readFileSync(join(IMAGES, 'index.json'), 'utf8'));
  const ref = top.manifests.find((m: any) => m.annotations?.['org.opencontainers.image.ref.name']?.endsWith('/busybox:latest'));
  if (!ref) throw new Error('busybox is not in build/images');
  const index = json(ref.digest);
  const m = index.manifests.find((d: any) => d.platform?.architecture === 'amd64' && d.platform?.os === 'linux');
  const manifest = json(m.digest);
  return { layers: manifest.layers.map((l: any) => blob(l.digest)), config: json(manifest.config.digest) };
}

/** Unpacks busybox into `dir` (a plain directory rootfs). */
export async function unpackBusybox(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const layer of busyboxImage().layers) {
    const tar = Readable.toWeb(createReadStream(layer).pipe(createGunzip())) as unknown as ReadableStream<Uint8Array>;
    await unpackLayer(tar, dir, { whiteouts: 'apply' });
  }
}

const DEFAULT_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

export interface SpecOptions {
  args: string[];
  terminal?: boolean;
  hostname?: string;
  env?: string[];
  cwd?: string;
  readonly?: boolean;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  cgroupsPath?: string;
  seccomp?: unknown;
  noNewPrivileges?: boolean;
  rlimits?: { type: string; soft: number; hard: number }[];
}

/** A spec as dockerd generates it by default (capabilities, mounts, masked and read-only paths), from `runc spec`. */
export function dockerSpec(dir: string, o: SpecOptions): any {
  let spec: any;
  if (spawnSync('runc', ['spec', '--bundle', dir]).status === 0) {
    spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } else {
    spec = { ociVersion: '1.0.2', process: {}, root: {}, linux: {} };
  }
  spec.process = {
    terminal: o.terminal ?? false,
    user: { uid: 0, gid: 0, ...o.user },
    args: o.args,
    env: o.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=' + (o.hostname ?? 'shimtest')],
    cwd: o.cwd ?? '/',
    capabilities: Object.fromEntries(['bounding', 'effective', 'permitted', 'inheritable'].map((k) => [k, DEFAULT_CAPS])),
    rlimits: o.rlimits ?? [],
    noNewPrivileges: o.noNewPrivileges ?? false,
    oomScoreAdj: 0,
  };
  spec.root = { path: 'rootfs', readonly: o.readonly ?? false };
  spec.hostname = o.hostname ?? 'shimtest';
  spec.mounts = defaultMounts(DEFAULT_SHM_SIZE);
  spec.linux = {
    namespaces: ['mount', 'network', 'uts', 'pid', 'ipc', 'cgroup'].map((type) => ({ type })),
    maskedPaths: ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
      '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'],
    readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    ...(o.cgroupsPath ? { cgroupsPath: o.cgroupsPath } : {}),
    ...(o.seccomp ? { seccomp: o.seccomp } : {}),
  };
  return spec;
}

export interface Bundle {
  dir: string;
  rootfs: string;
  /** Rewrites config.json. */
  write(spec: any): void;
  cleanup(): Promise<void>;
}

/** A bundle dir with a fresh busybox rootfs and a Docker-like config.json. */
export async function makeBundle(o: SpecOptions): Promise<Bundle> {
  const dir = await tempDir('berth-bundle-');
  const rootfs = join(dir, 'rootfs');
  await unpackBusybox(rootfs);
  const write = (spec: any) => writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  write(dockerSpec(dir, o));
  return { dir, rootfs, write, cleanup: () => removeDir(dir) };
}

/** A cgroup made in every mounted v1 hierarchy and in cgroup2 (as the daemon would), removed by `remove`. */
export function makeCgroup(name: string): { path: string; dirs: string[]; remove(): void } {
  const dirs: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!post) continue;
    const fstype = post.split(' ')[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const mp = pre.split(' ')[4];
    const d = join(mp, name);
    try { mkdirSync(d); dirs.push(d); } catch { continue; /* a hierarchy that refuses: skip */ }
    // a v1 cpuset cgroup starts with no CPUs and no memory nodes: nothing could join it
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(join(d, f)) && !readFileSync(join(d, f), 'utf8').trim()) writeFileSync(join(d, f), readFileSync(join(mp, f), 'utf8'));
    }
  }
  return {
    path: '/' + name,
    dirs,
    remove() {
      for (const d of dirs) {
        for (let i = 0; i < 50; i++) {
          try { rmdirSync(d); break; } catch (e: any) {
            if (e.code === 'ENOENT') break;
            spawnSync('sleep', ['0.05']);
          }
        }
      }
    },
  };
}

export interface ShimOptions {
  mode?: 'create' | 'exec';
  id?: string;
  bundle?: string;
  state: string;
  log?: string;
  logMaxSize?: number;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  /** exec mode */
  pid?: number;
  process?: string;
}

export interface ShimStart {
  /** The launcher's exit code (0 when the shim came up). */
  code: number | null;
  stderr: string;
  /** What the shim wrote on --ready-fd: `{"pid":N}` or `{"error":"..."}`. */
  ready: { pid?: number; error?: string } | null;
}

/** Runs `berth-shim create|exec ...` with --ready-fd 3 and waits for the launcher (it daemonizes). */
export function runShim(o: ShimOptions): Promise<ShimStart> {
  const args = [o.mode ?? 'create', '--id', o.id ?? 'test', '--state', o.state, '--ready-fd', '3'];
  if (o.bundle) args.push('--bundle', o.bundle);
  if (o.log) args.push('--log', o.log);
  if (o.logMaxSize) args.push('--log-max-size', String(o.logMaxSize));
  if (o.stdin) args.push('--stdin');
  if (o.stdinOnce) args.push('--stdin-once');
  if (o.tty) args.push('--tty');
  if (o.pid) args.push('--pid', String(o.pid));
  if (o.process) args.push('--process', o.process);
  return new Promise((resolve, reject) => {
    const child = spawn(SHIM, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let ready = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d) => { ready += d; });
    child.on('error', reject);
    let exited: number | null | undefined;
    let readyDone = false;
    const finish = () => {
      if (exited === undefined || !readyDone) return;
      resolve({ code: exited, stderr, ready: ready.trim() ? JSON.parse(ready.trim().split('\n')[0]) : null });
    };
    (child.stdio[3] as NodeJS.ReadableStream).on('end', () => { readyDone = true; finish(); });
    child.on('exit', (code) => { exited = code; finish(); });
  });
}

/** One request on ctl.sock; resolves with the answer line. */
export function ctl(state: string, req: object, timeoutMs = 20_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(join(state, 'ctl.sock'));
    let buf = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`ctl ${JSON.stringify(req)}: no answer in ${timeoutMs} ms`)); }, timeoutMs);
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        sock.destroy();
        resolve(JSON.parse(buf.slice(0, nl)));
      }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

export interface Attached {
  socket: net.Socket;
  /** Resolves when the shim closes the connection: everything received. */
  done: Promise<Buffer>;
}

/** Connects to attach.sock and collects what the shim sends until it closes the connection. */
export function attach(state: string): Promise<Attached> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path: join(state, 'attach.sock'), allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const done = new Promise<Buffer>((res) => {
      socket.on('data', (d) => chunks.push(d));
      // the shim closing its side is the end of the output (our side may still be open: allowHalfOpen)
      socket.on('end', () => { socket.end(); res(Buffer.concat(chunks)); });
      socket.on('close', () => res(Buffer.concat(chunks)));
    });
    socket.on('connect', () => resolve({ socket, done }));
    socket.on('error', reject);
  });
}

/** Splits Docker's multiplexed stream into stdout and stderr. */
export function demux(data: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= data.length) {
    const len = data.readUInt32BE(i + 4);
    (data[i] === 2 ? err : out).push(data.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  if (i !== data.length) throw new Error(`multiplexed stream: ${data.length - i} trailing bytes`);
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** Whether a pid is alive (not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch { return false; }
}

/**
 * Runs a container to completion through the shim: create, attach, start, wait. Returns the start answer,
 * the wait answer and the demultiplexed (or raw, with a TTY) output.
 */
export async function runToExit(bundle: string, state: string, extra: Partial<ShimOptions> & { stdinData?: string } = {}):
  Promise<{ start: any; wait: any; stdout: string; stderr: string; raw: Buffer; ready: ShimStart }> {
  const { stdinData: _, ...opts } = extra;
  const ready = await runShim({ bundle, state, log: join(state, 'container-json.log'), ...opts });
  if (ready.code !== 0) throw new Error(`shim create failed: ${ready.stderr} ${JSON.stringify(ready.ready)}`);
  const a = await attach(state);
  if (extra.stdinData !== undefined) a.socket.end(extra.stdinData);
  else if (!extra.stdin) a.socket.end();
  const waiting = ctl(state, { op: 'wait' });
  const start = await ctl(state, { op: 'start' });
  const wait = await waiting;
  const raw = await a.done;
  const out = extra.tty ? { stdout: raw.toString(), stderr: '' } : demux(raw);
  return { start, wait, ...out, raw, ready };
}

/**
 * What a runtime test creates — bundles, state dirs, cgroups — removed by `cleanup()` (call it in `after`),
 * after killing any shim or container process still alive.
 */
export class ShimFixture {
  #bundles: Bundle[] = [];
  #states: string[] = [];
  #cgroups: ReturnType<typeof makeCgroup>[] = [];

  constructor() { buildRuntime(); }

  async bundle(o: SpecOptions): Promise<Bundle> {
    const b = await makeBundle(o);
    this.#bundles.push(b);
    return b;
  }

  async state(): Promise<string> {
    const s = await tempDir('berth-state-');
    this.#states.push(s);
    return s;
  }

  cgroup(): ReturnType<typeof makeCgroup> {
    const cg = makeCgroup(`berth-shim-test-${process.pid}-${this.#cgroups.length}`);
    this.#cgroups.push(cg);
    return cg;
  }

  async cleanup(): Promise<void> {
    const pids: number[] = [];
    for (const s of this.#states) {
      let dirs = [s];
      try { dirs = dirs.concat(readdirSync(s).filter((n) => n.startsWith('exec-')).map((n) => join(s, n))); } catch { /* removed */ }
      for (const dir of dirs) {
        for (const f of ['init.pid', 'shim.pid']) {
          try { pids.push(Number(readFileSync(join(dir, f), 'utf8'))); } catch { /* never created */ }
        }
      }
    }
    for (const p of pids) if (p > 0 && alive(p)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    for (let i = 0; i < 100 && pids.some((p) => p > 0 && alive(p)); i++) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.#states) await removeDir(s);
    for (const b of this.#bundles) await b.cleanup();
    for (const cg of this.#cgroups) cg.remove();
  }
}

export { removeDir, tempDir };
