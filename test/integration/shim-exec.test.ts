// berth-shim exec mode (an extra process in a running container), berth-init (--init), and the same bundles
// run by runc side by side.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INIT, ShimFixture, attach, ctl, demux, removeDir, runShim, runToExit, runtimeMissing, tempDir } from '../helpers/bundle.ts';

const skip = runtimeMissing() ?? false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

describe('berth-shim exec', { skip }, () => {
  let fx: ShimFixture;
  let state: string;
  let pid: number;
  before(async () => {
    fx = new ShimFixture();
    const b = await fx.bundle({ args: ['sleep', '1000'], hostname: 'execbox' });
    state = await fx.state();
    const r = await runShim({ bundle: b.dir, state });
    assert.equal(r.code, 0, r.stderr);
    pid = r.ready!.pid!;
    assert.deepEqual(await ctl(state, { op: 'start' }), { ok: true });
  });
  after(async () => { await fx?.cleanup(); });

  let n = 0;
  async function exec(process: object, opts: { tty?: boolean; stdin?: boolean } = {}) {
    const dir = join(state, `exec-${++n}`);
    mkdirSync(dir);
    const file = join(dir, 'process.json');
    writeFileSync(file, JSON.stringify({ terminal: opts.tty ?? false, user: { uid: 0, gid: 0 }, env: [PATH], cwd: '/',
      capabilities: Object.fromEntries(['bounding', 'effective', 'permitted', 'inheritable'].map((k) => [k, DEFAULT_CAPS])), ...process }));
    const ready = await runShim({ mode: 'exec', state: dir, pid, process: file, ...opts });
    return { dir, ready };
  }

  test('runs in the container: same PID namespace, hostname, mounts and cgroup; its own cwd and env', async () => {
    const { dir, ready } = await exec({ args: ['sh', '-c', 'hostname; cat /proc/1/cmdline; echo; pwd; echo $FOO; ls /proc | grep -c "^[0-9]"; exit 5'], cwd: '/tmp', env: [PATH, 'FOO=bar'] });
    assert.equal(ready.code, 0, ready.stderr);
    // (sleep, sh, ls and grep: 4 processes)
    // the exec'd process is in the container's cgroups (here: none set, so the same as its init) and PID namespace
    assert.equal(readFileSync(`/proc/${ready.ready!.pid}/cgroup`, 'utf8'), readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    assert.equal(spawnSync('readlink', [`/proc/${ready.ready!.pid}/ns/pid`]).stdout.toString(), spawnSync('readlink', [`/proc/${pid}/ns/pid`]).stdout.toString());
    const a = await attach(dir);
    a.socket.end();
    const waiting = ctl(dir, { op: 'wait' });
    assert.deepEqual(await ctl(dir, { op: 'start' }), { ok: true });
    assert.equal((await waiting).exitCode, 5);
    const out = demux(await a.done);
    assert.equal(out.stdout, 'execbox\nsleep\u00001000\u0000\n/tmp\nbar\n4\n');
    // the container goes on
    assert.equal((await ctl(state, { op: 'state' })).status, 'running');
  });

  test('with a TTY: the exec gets its own pty in the container\'s devpts', async () => {
    const { dir, ready } = await exec({ args: ['tty'], env: [PATH, 'TERM=xterm'] }, { tty: true });
    assert.equal(ready.code, 0, ready.stderr);
    const a = await attach(dir);
    const waiting = ctl(dir, { op: 'wait' });
    await ctl(dir, { op: 'start' });
    assert.equal((await waiting).exitCode, 0);
    assert.equal((await a.done).toString(), '/dev/pts/0\r\n');
  });

  test('stdin, a missing command (127), seccomp from the process file', async () => {
    const { dir } = await exec({ args: ['cat'] }, { stdin: true });
    const a = await attach(dir);
    const waiting = ctl(dir, { op: 'wait' });
    await ctl(dir, { op: 'start' });
    a.socket.end('through exec\n');
    await sleep(50);
    await ctl(dir, { op: 'close-stdin' });
    assert.equal((await waiting).exitCode, 0);
    assert.equal(demux(await a.done).stdout, 'through exec\n');

    const missing = await exec({ args: ['nosuch'] });
    const w = ctl(missing.dir, { op: 'wait' });
    assert.deepEqual(await ctl(missing.dir, { op: 'start' }), { ok: false, error: 'exec: "nosuch": executable file not found in $PATH' });
    assert.equal((await w).exitCode, 127);

    const sc = await exec({ args: ['mkdir', '/tmp/blocked'], seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] } });
    const a2 = await attach(sc.dir);
    a2.socket.end();
    const w2 = ctl(sc.dir, { op: 'wait' });
    await ctl(sc.dir, { op: 'start' });
    assert.equal((await w2).exitCode, 1);
    assert.match(demux(await a2.done).stderr, /Operation not permitted/);
  });

  test('exec into a process that is gone fails before daemonizing', async () => {
    const dir = join(state, 'exec-gone');
    mkdirSync(dir);
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ args: ['true'], cwd: '/', env: [] }));
    const r = await runShim({ mode: 'exec', state: dir, pid: 999_999_99, process: join(dir, 'p.json') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container process 99999999: No such process/);
  });
});

describe('berth-init', { skip }, () => {
  let fx: ShimFixture;
  before(() => { fx = new ShimFixture(); });
  after(async () => { await fx?.cleanup(); });

  /** A bundle whose command runs under berth-init, bind-mounted as the daemon does for --init. */
  async function withInit(args: string[]) {
    const b = await fx.bundle({ args: ['/sbin/docker-init', '--', ...args] });
    const spec = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
    spec.mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: INIT, options: ['rbind', 'ro'] });
    b.write(spec);
    return b;
  }

  test('is PID 1, reaps orphaned zombies, passes the exit code through', async () => {
    const b = await withInit(['sh', '-c', '(sleep 0.1 &); sleep 0.5; ps -o pid,stat,comm; exit 5']);
    const r = await runToExit(b.dir, await fx.state());
    assert.equal(r.wait.exitCode, 5);
    assert.match(r.stdout, /^\s*1 \S+\s+docker-init$/m);
    assert.doesNotMatch(r.stdout, / Z/);
    assert.doesNotMatch(r.stdout, /sleep/);
  });

  test('forwards SIGTERM to the command (which, not being PID 1, dies of it): 143', async () => {
    const b = await withInit(['sleep', '100']);
    const state = await fx.state();
    assert.equal((await runShim({ bundle: b.dir, state })).code, 0);
    await ctl(state, { op: 'start' });
    await sleep(100);
    const waiting = ctl(state, { op: 'wait' });
    await ctl(state, { op: 'kill', signal: 15 });
    const w = await waiting;
    assert.equal(w.exitCode, 143);
    assert.equal(w.signal, null); // init exited normally, with 128+15
  });

  test('without arguments it says how to use it', () => {
    const r = spawnSync(INIT, []);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /usage: .* \[--\] COMMAND/);
  });
});

describe('berth-shim and runc on the same bundle', { skip: skip || (spawnSync('runc', ['--version']).status !== 0 ? 'runc is not installed' : false) }, () => {
  let fx: ShimFixture;
  let runcRoot: string;
  before(async () => { fx = new ShimFixture(); runcRoot = await tempDir('berth-runc-'); });
  after(async () => {
    spawnSync('runc', ['--root', runcRoot, 'delete', '-f', 'berth-cmp']);
    await removeDir(runcRoot);
    await fx?.cleanup();
  });

  function runc(bundle: string) {
    const r = spawnSync('runc', ['--root', runcRoot, 'run', '--bundle', bundle, 'berth-cmp'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('same capabilities, hostname, /dev, mount points and rlimits', async () => {
    const script = 'grep ^Cap /proc/self/status; hostname; ls -l /dev | cut -c1-10,35-; cut -d" " -f5 /proc/self/mountinfo; ulimit -n; id';
    const b = await fx.bundle({ args: ['sh', '-c', script], rlimits: [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 }] });
    const ours = await runToExit(b.dir, await fx.state());
    const theirs = runc(b.dir);
    assert.equal(theirs.code, 0, theirs.stderr);
    const normalize = (s: string) => s.replace(/ [A-Z][a-z]{2} [ \d]\d \d\d:\d\d /g, ' DATE ');
    assert.equal(normalize(ours.stdout), normalize(theirs.stdout));
    assert.equal(ours.wait.exitCode, theirs.code);
  });

  test('same error for a missing executable', async () => {
    const b = await fx.bundle({ args: ['nosuch'] });
    const ours = await runToExit(b.dir, await fx.state());
    const theirs = runc(b.dir);
    assert.notEqual(theirs.code, 0);
    assert.ok(theirs.stderr.replaceAll('\\"', '"').includes(ours.start.error), `runc said: ${theirs.stderr}`);
  });
});
