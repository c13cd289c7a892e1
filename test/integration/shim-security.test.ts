// berth-shim's confinement, as root, on the built-in busybox: masked and read-only paths, read-only rootfs,
// capabilities, seccomp, rlimits, the user switch, and cgroups (join, namespace view, kill all, OOM).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShimFixture, ctl, runShim, runToExit, runtimeMissing } from '../helpers/bundle.ts';

const skip = runtimeMissing() ?? false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CapEff/CapBnd/... of the container's process as hex strings. */
function caps(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^(Cap\w+):\s+([0-9a-f]+)$/gm)].map((m) => [m[1], m[2]]));
}

describe('berth-shim: confinement', { skip }, () => {
  let fx: ShimFixture;
  before(() => { fx = new ShimFixture(); });
  after(async () => { await fx?.cleanup(); });

  test('masked paths are empty, read-only paths refuse writes, /dev and /sys as Docker sets them up', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', [
      'wc -c < /proc/keys', 'ls /sys/firmware | wc -l', 'echo 1 > /proc/sys/kernel/ns_last_pid && echo wrote-proc-sys',
      'touch /sys/x 2>/dev/null || echo sys-ro', 'ls /dev | tr "\\n" " "',
    ].join('; ')] });
    const r = await runToExit(b.dir, await fx.state());
    const lines = r.stdout.split('\n');
    assert.equal(lines[0].trim(), '0');
    assert.equal(lines[1].trim(), '0');
    assert.doesNotMatch(r.stdout, /wrote-proc-sys/);
    assert.match(r.stderr, /Read-only file system/);
    assert.equal(lines[2], 'sys-ro');
    assert.equal(lines[3], 'fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero ');
  });

  test('read-only rootfs: writes fail, /dev/shm and mounted tmpfs stay writable', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'touch /x; echo $?; touch /dev/shm/y && echo shm-ok'], readonly: true });
    const r = await runToExit(b.dir, await fx.state());
    assert.match(r.stderr, /touch: \/x: Read-only file system/);
    assert.equal(r.stdout, '1\nshm-ok\n');
    assert.equal(existsSync(join(b.rootfs, 'x')), false);
  });

  // root's execve raises permitted and effective to the bounding set (the kernel's rule for uid 0; runc's too)
  test('capabilities: Docker\'s default set, and a reduced set drops the rest from every set', async () => {
    const b = await fx.bundle({ args: ['grep', '^Cap', '/proc/self/status'] });
    const r = await runToExit(b.dir, await fx.state());
    assert.deepEqual(caps(r.stdout), { CapInh: '00000000a80425fb', CapPrm: '00000000a80425fb', CapEff: '00000000a80425fb', CapBnd: '00000000a80425fb', CapAmb: '0000000000000000' });

    const spec = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
    spec.process.capabilities = { bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: [], ambient: [] };
    spec.process.args = ['sh', '-c', 'grep ^Cap /proc/self/status; chown 1 /etc/passwd'];
    b.write(spec);
    const r2 = await runToExit(b.dir, await fx.state());
    assert.deepEqual(caps(r2.stdout), { CapInh: '0000000000000000', CapPrm: '0000000000000420', CapEff: '0000000000000420', CapBnd: '0000000000000420', CapAmb: '0000000000000000' });
    assert.match(r2.stderr, /Operation not permitted/);
    assert.notEqual(r2.wait.exitCode, 0);
  });

  for (const noNewPrivileges of [false, true]) {
    test(`seccomp blocks mkdir with EPERM (noNewPrivileges ${noNewPrivileges}), other syscalls allowed`, async () => {
      const seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [
          { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
          // dockerd's form: two conditions on one argument mean either (here: personality(0xffffffff) refused)
          { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 4294967295, valueTwo: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
          { names: ['no_such_syscall_name'], action: 'SCMP_ACT_ERRNO' },
        ],
      };
      const b = await fx.bundle({ args: ['sh', '-c', 'mkdir /tmp/d; echo mkdir=$?; touch /tmp/f && echo touch-ok; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'], seccomp, noNewPrivileges });
      const r = await runToExit(b.dir, await fx.state());
      assert.match(r.stderr, /mkdir: can't create directory '\/tmp\/d': Operation not permitted/);
      assert.match(r.stdout, /mkdir=1\ntouch-ok\n/);
      assert.match(r.stdout, new RegExp(`NoNewPrivs:\\s+${noNewPrivileges ? 1 : 0}`));
      assert.match(r.stdout, /Seccomp:\s+2/);
    });
  }

  test('a bad seccomp profile is a create error', async () => {
    const b = await fx.bundle({ args: ['true'], seccomp: { defaultAction: 'SCMP_ACT_FROB' } });
    const r = await runShim({ bundle: b.dir, state: await fx.state() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /seccomp: unsupported action "SCMP_ACT_FROB"/);
  });

  test('rlimits are set; a hard limit above the current one is kept at the current one', async () => {
    const hard = Number(/Max open files\s+\d+\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
    const b = await fx.bundle({ args: ['sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -Hu; ulimit -u'], rlimits: [
      { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
      { type: 'RLIMIT_NPROC', soft: 1 << 30, hard: 2 ** 40 },
    ] });
    const r = await runToExit(b.dir, await fx.state());
    const [soft, hardN, nprocHard, nprocSoft] = r.stdout.trim().split('\n');
    assert.equal(soft, '100');
    assert.equal(hardN, '200');
    const curNproc = /Max processes\s+(\S+)\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'))![2];
    assert.equal(nprocHard, curNproc === 'unlimited' ? String(2 ** 40) : curNproc);
    assert.ok(Number(nprocSoft) <= Number(nprocHard) || nprocSoft === 'unlimited');
    assert.ok(hard > 0);
  });

  test('user switch: uid, gid, additional groups; no capabilities left for a non-root user; HOME from /etc/passwd', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'id; grep ^CapEff /proc/self/status; echo $HOME; touch /root/x'], user: { uid: 65534, gid: 65534, additionalGids: [10, 20] }, env: ['PATH=/bin:/usr/bin'] });
    writeFileSync(join(b.rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home/nobody:/bin/false\n');
    const r = await runToExit(b.dir, await fx.state());
    assert.match(r.stdout, /^uid=65534\(nobody\) gid=65534.* groups=10.*,20/);
    assert.match(r.stdout, /CapEff:\s+0000000000000000/);
    assert.match(r.stdout, /\/home\/nobody\n/);
    assert.match(r.stderr, /Permission denied/);
  });

  test('cgroups: joined in every hierarchy, seen as / through the cgroup namespace, kill all, OOM kill', async () => {
    const cg = fx.cgroup();
    assert.ok(cg.dirs.length > 0);
    const b = await fx.bundle({ args: ['sh', '-c', 'grep -E ":(memory|pids):|^0::" /proc/self/cgroup; sleep 100 & sleep 100 & wait'], cgroupsPath: cg.path });
    const state = await fx.state();
    const r = await runShim({ bundle: b.dir, state, log: join(state, 'c.log') });
    assert.equal(r.code, 0, r.stderr);
    const pid = r.ready!.pid!;
    const host = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    const memory = cg.dirs.find((d) => d.includes('/memory/'));
    if (memory) assert.match(host, new RegExp(`:memory:${cg.path}\n`));
    await ctl(state, { op: 'start' });
    await sleep(300);
    const procs = readFileSync(join(cg.dirs[0], 'cgroup.procs'), 'utf8').trim().split('\n');
    assert.equal(procs.length, 3);
    const waiting = ctl(state, { op: 'wait' });
    assert.deepEqual(await ctl(state, { op: 'kill', signal: 9, all: true }), { ok: true });
    assert.equal((await waiting).exitCode, 137);
    const log = readFileSync(join(state, 'c.log'), 'utf8');
    assert.match(log, /"log":"\d+:memory:\/\\n"/);

    if (!memory) return;
    // OOM: a 16 MiB limit and a process that needs 64 MiB
    writeFileSync(join(memory, 'memory.limit_in_bytes'), String(16 << 20));
    try { writeFileSync(join(memory, 'memory.memsw.limit_in_bytes'), String(16 << 20)); } catch { /* no swap accounting */ }
    const b2 = await fx.bundle({ args: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], cgroupsPath: cg.path });
    const r2 = await runToExit(b2.dir, await fx.state());
    assert.equal(r2.wait.exitCode, 137);
    assert.equal(r2.wait.oomKilled, true);
  });

  test('linux.devices, sysctl and oomScoreAdj are applied', async () => {
    const b = await fx.bundle({ args: ['sh', '-c', 'ls -l /dev/mydev | cut -c1-10,35-44; cat /proc/sys/kernel/shm_rmid_forced; cat /proc/self/oom_score_adj'] });
    const spec = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
    spec.linux.devices = [{ path: '/dev/mydev', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 0, gid: 0 }];
    spec.linux.sysctl = { 'kernel.shm_rmid_forced': '1' };
    spec.process.oomScoreAdj = 500;
    b.write(spec);
    const host = readFileSync('/proc/sys/kernel/shm_rmid_forced', 'utf8');
    const r = await runToExit(b.dir, await fx.state());
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim()), ['crw------- 1, 3', '1', '500', '']);
    assert.equal(readFileSync('/proc/sys/kernel/shm_rmid_forced', 'utf8'), host); // the IPC namespace's own
  });

  test('namespaces given by path are joined (network and UTS of another container)', async () => {
    const first = await fx.bundle({ args: ['sleep', '100'], hostname: 'first' });
    const state = await fx.state();
    const r = await runShim({ bundle: first.dir, state });
    assert.equal(r.code, 0, r.stderr);
    const pid = r.ready!.pid!;
    const second = await fx.bundle({ args: ['sh', '-c', 'hostname; readlink /proc/self/ns/net'], hostname: 'second' });
    const spec = JSON.parse(readFileSync(join(second.dir, 'config.json'), 'utf8'));
    spec.linux.namespaces = spec.linux.namespaces.map((n: any) =>
      n.type === 'network' ? { type: 'network', path: `/proc/${pid}/ns/net` } : n.type === 'uts' ? { type: 'uts', path: `/proc/${pid}/ns/uts` } : n);
    second.write(spec);
    const out = await runToExit(second.dir, await fx.state());
    assert.equal(out.stderr, '');
    const [hostname, net] = out.stdout.trim().split('\n');
    assert.equal(hostname, 'first');
    assert.equal(net, readlinkSync(`/proc/${pid}/ns/net`));
    await ctl(state, { op: 'kill', signal: 9 });
  });
});
