// Helpers for container tests: a berthd that can run containers, host leak probes, and — until the
// C berth-shim is built — a stand-in shim speaking its protocol (DESIGN.md) with util-linux's
// unshare/nsenter, so the daemon side can be tested end to end. The stand-in is test-only.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, rmSync, readFileSync, readdirSync, writeFileSync, appendFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './registry.ts';
import { startBerthd, type StartOptions, type TestDaemon } from './berthd.ts';

export const REAL_SHIM = join(REPO_ROOT, 'host-linux/runtime/build/berth-shim');
const HERE = fileURLToPath(import.meta.url);

/** The shim tests run with: the real one when built, else the stand-in (a wrapper script in `dir`). */
export function shimFor(dir: string): { path: string; real: boolean } {
  if (existsSync(REAL_SHIM) && !process.env.BERTH_TEST_STUB_SHIM) return { path: REAL_SHIM, real: true };
  const path = join(dir, 'stub-shim');
  writeFileSync(path, `#!/bin/sh\nexec ${process.execPath} --import tsx ${HERE} stub-shim "$@"\n`);
  chmodSync(path, 0o755);
  return { path, real: false };
}

/**
 * A berthd with the built-in images and a shim. Its exec root is short (`/run/bt-XXXXXX`): unix
 * socket paths end at 107 bytes, and `<exec-root>/containers/<64 hex>/attach.sock` must fit.
 */
export async function startContainerDaemon(opts: StartOptions & { dir?: string; execRoot?: string; keepExecRoot?: boolean } = {}): Promise<TestDaemon & { realShim: boolean; shortExecRoot: string }> {
  const dir = opts.dir ?? '/tmp';
  const shim = shimFor(dir);
  const execRoot = opts.execRoot ?? mkdtempSync('/run/bt-');
  const d = await startBerthd({
    builtinImages: join(REPO_ROOT, 'build/images'),
    ...opts,
    args: ['--exec-root', execRoot, ...(opts.args ?? [])],
    env: { BERTH_SHIM: shim.path, ...opts.env },
  });
  const cleanup = d.cleanup;
  return Object.assign(d, {
    realShim: shim.real,
    shortExecRoot: execRoot,
    execRoot,
    cleanup: async () => { await cleanup(); if (!opts.keepExecRoot) rmSync(execRoot, { recursive: true, force: true }); },
  });
}

/** Overlay mounts, cgroups, shims and zombies that belong to a daemon's roots: what a leak test counts. */
export function hostTraces(roots: string[]): { mounts: string[]; shims: number[]; zombies: number[] } {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4] ?? '').filter((m) => roots.some((r) => m.startsWith(r)));
  const shims: number[] = [];
  const zombies: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (/berth-shim|stub-shim/.test(cmd) && roots.some((r) => cmd.includes(r))) shims.push(Number(p));
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state === 'Z') zombies.push(Number(p));
    } catch { /* gone */ }
  }
  return { mounts, shims, zombies };
}

export async function waitUntil(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ---------------------------------------------------------------------------------------------
// The stand-in shim.

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function frame(stream: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

function lookPath(rootfs: string, cmd: string, env: string[]): string | undefined {
  const isExec = (p: string) => { try { const s = statSync(join(rootfs, p)); return s.isFile() && (s.mode & 0o111) !== 0; } catch { return false; } };
  if (cmd.includes('/')) return existsSync(join(rootfs, cmd)) ? cmd : undefined;
  const path = (env.find((e) => e.startsWith('PATH=')) ?? 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').slice(5);
  for (const dir of path.split(':')) if (isExec(`${dir}/${cmd}`)) return `${dir}/${cmd}`;
  return undefined;
}

function isExecutable(p: string): boolean {
  try { const s = statSync(p); return s.isFile() && (s.mode & 0o111) !== 0; } catch { return false; }
}

function childPid(pid: number): number {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids[0] ?? pid;
  } catch { return pid; }
}

async function stubShim(args: string[]): Promise<void> {
  const mode = args[0];
  const readyFd = Number(arg(args, '--ready-fd') ?? 3);
  if (!process.env.STUB_SHIM_CHILD) {
    // Daemonize: the daemon waits for this process to exit and for the ready fd to close.
    const errFd = openSync(join(arg(args, '--state')!, 'stub-shim.log'), 'a');
    const child = spawn(process.execPath, process.execArgv.concat([HERE, 'stub-shim', ...args]), {
      detached: true, stdio: ['ignore', 'ignore', errFd, readyFd], env: { ...process.env, STUB_SHIM_CHILD: '1' },
    });
    child.unref();
    process.exit(0);
  }
  const state = arg(args, '--state')!;
  const stdinWanted = args.includes('--stdin');
  const stdinOnce = args.includes('--stdin-once');
  let targetPid = '';
  let argv: string[]; let env: string[]; let cwd: string; let rootfs = ''; let user = { uid: 0, gid: 0 };
  const log = arg(args, '--log');
  if (mode === 'create') {
    const bundle = arg(args, '--bundle')!;
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    argv = spec.process.args; env = spec.process.env ?? []; cwd = spec.process.cwd ?? '/'; user = spec.process.user ?? user;
    rootfs = spec.root.path.startsWith('/') ? spec.root.path : join(bundle, spec.root.path);
  } else {
    const proc = JSON.parse(readFileSync(arg(args, '--process')!, 'utf8'));
    argv = proc.args; env = proc.env ?? []; cwd = proc.cwd ?? '/'; user = proc.user ?? user;
    // The stand-in reports its own pid at create; the container's init is in its init.pid.
    const target = readFileSync(`/proc/${arg(args, '--pid')}/cmdline`, 'utf8').includes('stub-shim')
      ? readFileSync(`/proc/${arg(args, '--pid')}/cwd/init.pid`, 'utf8').trim() : arg(args, '--pid')!;
    targetPid = target;
    rootfs = `/proc/${target}/root`;
  }
  process.chdir(state);
  writeFileSync(join(state, 'shim.pid'), String(process.pid));
  const clients = new Set<net.Socket>();
  const early: (Buffer | null)[] = [];
  let child: ChildProcess | undefined;
  let initPid = 0;
  let lastSignal = 0;
  let exit: Record<string, unknown> | undefined;
  const waiters: net.Socket[] = [];
  const startedAt = new Date().toISOString();
  const lineBuf: Record<string, string> = { stdout: '', stderr: '' };
  const writeLog = (stream: 'stdout' | 'stderr', data: Buffer, flush = false) => {
    if (!log) return;
    lineBuf[stream] += data.toString();
    let i;
    while ((i = lineBuf[stream]!.indexOf('\n')) >= 0 || (flush && lineBuf[stream])) {
      const line = i >= 0 ? lineBuf[stream]!.slice(0, i + 1) : lineBuf[stream]!;
      lineBuf[stream] = i >= 0 ? lineBuf[stream]!.slice(i + 1) : '';
      appendFileSync(log, JSON.stringify({ log: line, stream, time: new Date().toISOString() }) + '\n');
    }
  };
  const output = (stream: 'stdout' | 'stderr', data: Buffer) => {
    writeLog(stream, data);
    const f = frame(stream === 'stdout' ? 1 : 2, data);
    for (const c of clients) c.write(f);
  };
  const finish = (r: Record<string, unknown>) => {
    exit = { ok: true, ...r, startedAt, finishedAt: new Date().toISOString(), oomKilled: false };
    writeLog('stdout', Buffer.alloc(0), true);
    writeLog('stderr', Buffer.alloc(0), true);
    writeFileSync(join(state, 'exit.json.tmp'), JSON.stringify(exit));
    renameSync(join(state, 'exit.json.tmp'), join(state, 'exit.json'));
    for (const w of waiters) w.end(JSON.stringify(exit) + '\n');
    for (const c of clients) c.end();
    setTimeout(() => process.exit(0), 200);
  };
  const ctlServer = net.createServer((s) => {
    let buf = '';
    s.on('error', () => {});
    s.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const req = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        const reply = (r: unknown) => s.write(JSON.stringify(r) + '\n');
        if (req.op === 'start') {
          const path = lookPath(rootfs, argv[0]!, env);
          if (path && !isExecutable(join(rootfs, path))) {
            reply({ ok: false, error: `exec: "${argv[0]}": permission denied` });
            finish({ exitCode: 126, signal: null });
            continue;
          }
          if (!path) {
            reply({ ok: false, error: `exec: "${argv[0]}": executable file not found in $PATH` });
            finish({ exitCode: 127, signal: null });
            continue;
          }
          const ids = user.uid || user.gid ? ['-S', String(user.uid), '-G', String(user.gid)] : [];
          const cmd = mode === 'create'
            ? ['unshare', '--pid', '--fork', '--kill-child', '--uts', '--ipc', '--net', `--root=${rootfs}`, `--wd=${cwd}`, ...argv]
            : ['nsenter', '-t', targetPid, '-p', '-m', '-u', '-i', '-n', '-r', `-w${cwd}`, ...ids, ...argv];
          child = spawn(cmd[0]!, cmd.slice(1), { env: Object.fromEntries(env.map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)])), stdio: [stdinWanted ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
          child.stdout!.on('data', (d: Buffer) => output('stdout', d));
          child.stderr!.on('data', (d: Buffer) => output('stderr', d));
          child.stdin?.on('error', () => {});
          for (const d of early.splice(0)) { if (d) child.stdin?.write(d); else child.stdin?.end(); }
          let outputs = 2;
          let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
          // unshare 2.38 exits 1 when its child dies of a signal: the signal sent last is the best guess.
          const done = () => {
            if (outputs !== 0 || !status) return;
            const code = status.code === 1 && lastSignal && mode === 'create' ? 128 + lastSignal : status.code ?? 128 + (os_signals[status.signal ?? 'SIGKILL'] ?? 9);
            finish({ exitCode: code, signal: null });
          };
          child.stdout!.on('end', () => { outputs--; done(); });
          child.stderr!.on('end', () => { outputs--; done(); });
          child.on('exit', (code, signal) => { status = { code, signal }; done(); });
          setTimeout(() => {
            initPid = childPid(child!.pid!);
            if (mode === 'create') writeFileSync(join(state, 'init.pid'), String(initPid));
            reply({ ok: true });
          }, 50);
        } else if (req.op === 'kill') {
          try { process.kill(initPid || child?.pid || 0, req.signal); lastSignal = req.signal; } catch { /* gone */ }
          reply({ ok: true });
        } else if (req.op === 'wait') {
          if (exit) reply(exit); else waiters.push(s);
        } else if (req.op === 'state') {
          reply({ ok: true, status: exit ? 'stopped' : child ? 'running' : 'created', pid: initPid || process.pid });
        } else if (req.op === 'close-stdin') {
          child?.stdin?.end();
          reply({ ok: true });
        } else {
          reply({ ok: true });
        }
      }
    });
  });
  const attachServer = net.createServer({ allowHalfOpen: true }, (s) => {
    clients.add(s);
    s.on('error', () => {});
    // Before start there is no process yet: keep its stdin until there is.
    s.on('data', (d: Buffer) => { if (stdinWanted) { if (child) child.stdin?.write(d); else early.push(d); } });
    s.on('end', () => { if (stdinOnce) { if (child) child.stdin?.end(); else early.push(null); } });
    s.on('close', () => clients.delete(s));
  });
  for (const f of ['ctl.sock', 'attach.sock']) { try { unlinkSync(join(state, f)); } catch { /* none */ } }
  await new Promise<void>((r) => ctlServer.listen(join(state, 'ctl.sock'), r));
  await new Promise<void>((r) => attachServer.listen(join(state, 'attach.sock'), r));
  const fd = readyFd;
  writeFileSync(fd, JSON.stringify({ pid: process.pid }) + '\n');
  closeSync(fd);
  void openSync;
}

const os_signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGUSR1: 10, SIGUSR2: 12 };

if (process.argv[2] === 'stub-shim') {
  stubShim(process.argv.slice(3)).catch((e: unknown) => {
    process.stderr.write(`stub-shim: ${(e as Error).stack}\n`);
    process.exit(1);
  });
}
