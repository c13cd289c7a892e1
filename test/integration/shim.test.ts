// berth-shim end to end, as root, on the built-in busybox: lifecycle, output through attach.sock and the
// json-file log, exit codes and exit.json, isolation (PID 1, hostname, mounts), stdin and the pty.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ShimFixture, alive, attach, ctl, demux, runShim, runToExit, runtimeMissing } from '../helpers/bundle.ts';

const skip = runtimeMissing() ?? false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('berth-shim: lifecycle and I/O', { skip }, () => {
  let fx: ShimFixture;
  before(() => { fx = new ShimFixture(); });
  after(async () => { await fx?.cleanup(); });

  test('output reaches attach clients (multiplexed) and the json-file log; exit code and exit.json', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'echo out1; echo err1 >&2; printf "no newline"; exit 3'] });
    const state = await fx.state();
    const r = await runToExit(b.dir, state);
    assert.deepEqual(r.start, { ok: true });
    assert.equal(r.stdout, 'out1\nno newline');
    assert.equal(r.stderr, 'err1\n');
    assert.equal(r.wait.ok, true);
    assert.equal(r.wait.exitCode, 3);
    assert.equal(r.wait.signal, null);
    assert.equal(r.wait.oomKilled, false);
    assert.match(r.wait.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(Date.parse(r.wait.finishedAt) >= Date.parse(r.wait.startedAt));
    const exit = JSON.parse(readFileSync(join(state, 'exit.json'), 'utf8'));
    assert.deepEqual(exit, { exitCode: 3, signal: null, oomKilled: false, startedAt: r.wait.startedAt, finishedAt: r.wait.finishedAt });
    const log = readFileSync(join(state, 'container-json.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const byStream = (s: string) => log.filter((e) => e.stream === s).map((e) => e.log);
    assert.deepEqual(byStream('stdout'), ['out1\n', 'no newline']);
    assert.deepEqual(byStream('stderr'), ['err1\n']);
    for (const e of log) assert.match(e.time, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    // the shim is gone and took its sockets with it
    await sleep(100);
    assert.equal(alive(r.ready.ready!.pid!), false);
    assert.equal(existsSync(join(state, 'ctl.sock')), false);
  });

  test('state, kill with SIGKILL: 137, and a wait answered to every waiter', async () => {
    const b = await fx.bundle({ args: ['sleep', '100'] });
    const state = await fx.state();
    const ready = await runShim({ bundle: b.dir, state, log: join(state, 'c.log') });
    assert.equal(ready.code, 0, ready.stderr);
    const pid = ready.ready!.pid!;
    assert.equal(Number(readFileSync(join(state, 'init.pid'), 'utf8')), pid);
    assert.ok(alive(Number(readFileSync(join(state, 'shim.pid'), 'utf8'))));
    assert.deepEqual(await ctl(state, { op: 'state' }), { ok: true, status: 'created', pid });
    assert.deepEqual(await ctl(state, { op: 'start' }), { ok: true });
    assert.deepEqual(await ctl(state, { op: 'state' }), { ok: true, status: 'running', pid });
    const starts = await ctl(state, { op: 'start' });
    assert.equal(starts.ok, false);
    // PID 1 without a SIGTERM handler ignores SIGTERM, as in Docker
    assert.deepEqual(await ctl(state, { op: 'kill', signal: 15 }), { ok: true });
    await sleep(200);
    assert.ok(alive(pid));
    const w1 = ctl(state, { op: 'wait' });
    const w2 = ctl(state, { op: 'wait' });
    assert.deepEqual(await ctl(state, { op: 'kill', signal: 9 }), { ok: true });
    for (const w of [await w1, await w2]) {
      assert.equal(w.exitCode, 137);
      assert.equal(w.signal, 9);
    }
    assert.equal(JSON.parse(readFileSync(join(state, 'exit.json'), 'utf8')).exitCode, 137);
  });

  test('bad requests get an error answer and the shim keeps serving', async () => {
    const b = await fx.bundle({ args: ['sleep', '100'] });
    const state = await fx.state();
    assert.equal((await runShim({ bundle: b.dir, state })).code, 0);
    assert.deepEqual(await ctl(state, { op: 'frobnicate' }), { ok: false, error: 'unknown op "frobnicate"' });
    assert.equal((await ctl(state, { nop: 1 })).ok, false);
    assert.equal((await ctl(state, { op: 'resize', height: 1, width: 1 })).ok, false); // no terminal
    assert.equal((await ctl(state, { op: 'state' })).status, 'created');
    await ctl(state, { op: 'kill', signal: 9 });
  });

  test('executable not found, not executable, missing path: start fails with runc\'s texts, 127/126', async () => {
    const cases: [string, string, number][] = [
      ['nosuch', 'exec: "nosuch": executable file not found in $PATH', 127],
      ['/etc/passwd', 'exec: "/etc/passwd": permission denied', 126],
      ['/etc', 'exec: "/etc": permission denied', 126],
      ['/no/such/binary', 'exec: "/no/such/binary": stat /no/such/binary: no such file or directory', 127],
    ];
    for (const [cmd, error, code] of cases) {
      const b = await fx.bundle({ args: [cmd] });
      const state = await fx.state();
      const r = await runToExit(b.dir, state);
      assert.deepEqual(r.start, { ok: false, error }, cmd);
      assert.equal(r.wait.exitCode, code, cmd);
      const exit = JSON.parse(readFileSync(join(state, 'exit.json'), 'utf8'));
      assert.equal(exit.exitCode, code);
      assert.equal(exit.error, error);
      assert.equal(exit.startedAt, '0001-01-01T00:00:00Z');
    }
  });

  test('a set-up error is reported on the ready fd and stderr, exit status 1, nothing left running', async () => {
    const b = await fx.bundle({ args: ['true'], cwd: '/' });
    const spec = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
    spec.mounts.push({ destination: '/data', type: 'bind', source: '/no/such/host/dir', options: ['rbind'] });
    b.write(spec);
    const state = await fx.state();
    const r = await runShim({ bundle: b.dir, state });
    assert.equal(r.code, 1);
    assert.match(r.ready!.error!, /bind mount source \/no\/such\/host\/dir: No such file or directory/);
    assert.match(r.stderr, /no\/such\/host\/dir/);
    assert.equal(existsSync(join(state, 'init.pid')), false);
    // and bad command lines fail before daemonizing
    const bad = await runShim({ bundle: join(b.dir, 'nope'), state });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bundle .*nope: No such file or directory/);
  });

  test('isolation: own PID 1 and PID namespace, hostname, pivoted root, loopback up', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'cat /proc/1/cmdline; echo; ps -o pid,comm | wc -l; hostname; head -1 /proc/self/mountinfo; cat /sys/class/net/lo/operstate; ls /proc | grep -c "^[0-9]"'], hostname: 'box1' });
    const state = await fx.state();
    const r = await runToExit(b.dir, state);
    const [cmdline, psLines, hostname, mount, lo] = r.stdout.split('\n');
    assert.equal(cmdline, 'sh\0-c\0' + 'cat /proc/1/cmdline; echo; ps -o pid,comm | wc -l; hostname; head -1 /proc/self/mountinfo; cat /sys/class/net/lo/operstate; ls /proc | grep -c "^[0-9]"' + '\0');
    assert.ok(Number(psLines) <= 5, `ps saw host processes: ${psLines} lines`);
    assert.equal(hostname, 'box1');
    // the rootfs is mounted at / and nothing of the host is left above it
    assert.match(mount, new RegExp(` ${b.rootfs.replace(/[/]/g, '\\/')} / `));
    assert.match(lo, /unknown|up/);
    assert.equal(r.stderr, '');
  });

  test('stdin pipe: attach writes reach the container; close-stdin ends it', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'cat; echo done'] });
    const state = await fx.state();
    assert.equal((await runShim({ bundle: b.dir, state, stdin: true })).code, 0);
    const a = await attach(state);
    const waiting = ctl(state, { op: 'wait' });
    assert.deepEqual(await ctl(state, { op: 'start' }), { ok: true });
    a.socket.write('hello\n');
    a.socket.write('world\n');
    await sleep(100);
    assert.deepEqual(await ctl(state, { op: 'close-stdin' }), { ok: true });
    assert.equal((await waiting).exitCode, 0);
    assert.deepEqual(demux(await a.done), { stdout: 'hello\nworld\ndone\n', stderr: '' });
  });

  test('stdin-once: an attach client half-closing closes the container\'s stdin, output still arrives', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'cat; sleep 0.2; echo after-eof'] });
    const state = await fx.state();
    const r = await runToExit(b.dir, state, { stdin: true, stdinOnce: true, stdinData: 'piped\n' });
    assert.equal(r.wait.exitCode, 0);
    assert.equal(r.stdout, 'piped\nafter-eof\n');
  });

  test('a container that closes its stdin does not make the shim spin', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'exec 0<&-; sleep 1; echo ok'] });
    const state = await fx.state();
    assert.equal((await runShim({ bundle: b.dir, state, stdin: true })).code, 0);
    const shimPid = Number(readFileSync(join(state, 'shim.pid'), 'utf8'));
    const a = await attach(state);
    const waiting = ctl(state, { op: 'wait' });
    await ctl(state, { op: 'start' });
    await sleep(700);
    const cpu = readFileSync(`/proc/${shimPid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = Number(cpu[11]) + Number(cpu[12]); // utime + stime, in clock ticks (1/100 s)
    assert.ok(ticks < 20, `the shim used ${ticks} ticks of CPU in 0.7 s`);
    assert.equal((await waiting).exitCode, 0);
    assert.equal(demux(await a.done).stdout, 'ok\n');
  });

  test('without --stdin the container reads /dev/null', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'cat; readlink /proc/self/fd/0'] });
    const r = await runToExit(b.dir, await fx.state());
    assert.equal(r.stdout, '/dev/null\n');
  });

  test('output before any client attaches is not replayed; a client that never reads is dropped, the container is not stalled', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'head -c 30000000 /dev/zero; echo end >&2'] });
    const state = await fx.state();
    assert.equal((await runShim({ bundle: b.dir, state, log: join(state, 'c.log') })).code, 0);
    const stuck = await attach(state);
    stuck.socket.pause(); // never reads: its buffer fills up
    const waiting = ctl(state, { op: 'wait' });
    await ctl(state, { op: 'start' });
    const w = await waiting;
    assert.equal(w.exitCode, 0);
    stuck.socket.resume();
    const got = await stuck.done;
    assert.ok(got.length < 30_000_000, `the stalled client got everything (${got.length} bytes): it was not dropped`);
    // the log has all of it
    const log = readFileSync(join(state, 'c.log'), 'utf8');
    assert.match(log, /"log":"end\\n","stream":"stderr"/);
  });

  test('pty: tty names /dev/pts/0, resize reaches stty, output is raw', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'read x; tty; stty size; ls -l /dev/console | grep -c "136, *0"'], terminal: true });
    const state = await fx.state();
    assert.equal((await runShim({ bundle: b.dir, state, tty: true, stdin: true })).code, 0);
    const a = await attach(state);
    const waiting = ctl(state, { op: 'wait' });
    assert.deepEqual(await ctl(state, { op: 'start' }), { ok: true });
    assert.deepEqual(await ctl(state, { op: 'resize', height: 30, width: 100 }), { ok: true });
    a.socket.write('go\n');
    assert.equal((await waiting).exitCode, 0);
    const out = (await a.done).toString();
    assert.match(out, /\/dev\/pts\/0\r\n30 100\r\n1\r\n/);
  });

  test('json-file log rotates at --log-max-size', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'for i in $(seq 1 50); do echo line-$i; done'] });
    const state = await fx.state();
    const log = join(state, 'rot.log');
    const r = await runShim({ bundle: b.dir, state, log, logMaxSize: 1000 });
    assert.equal(r.code, 0);
    const waiting = ctl(state, { op: 'wait' });
    await ctl(state, { op: 'start' });
    await waiting;
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.ok(readFileSync(log).length <= 1000);
    assert.equal(JSON.parse(lines.at(-1)!).log, 'line-50\n');
    assert.ok(lines.length < 50);
  });

  test('the shim is daemonized: its launcher has exited, the container keeps running under it', async () => {
    const b = await fx.bundle({ args: ['sleep', '100'] });
    const state = await fx.state();
    const r = await runShim({ bundle: b.dir, state });
    assert.equal(r.code, 0);
    const shimPid = Number(readFileSync(join(state, 'shim.pid'), 'utf8'));
    const status = readFileSync(`/proc/${shimPid}/status`, 'utf8');
    const ppid = Number(/PPid:\s+(\d+)/.exec(status)![1]);
    assert.notEqual(ppid, process.pid);
    const sid = Number(readFileSync(`/proc/${shimPid}/stat`, 'utf8').split(') ')[1].split(' ')[3]);
    assert.notEqual(sid, Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[3]));
    // only its stdio and its own files are open: nothing inherited from the launcher
    const fds = readdirSync(`/proc/${shimPid}/fd`).length;
    assert.ok(fds < 20, `${fds} open fds`);
    await ctl(state, { op: 'start' });
    await sleep(100);
    assert.ok(alive(r.ready!.pid!));
    await ctl(state, { op: 'kill', signal: 9 });
  });
});
