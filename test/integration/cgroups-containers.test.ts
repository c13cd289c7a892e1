// Device rules, --privileged devices and block I/O limits of real containers, through the docker CLI:
// the container's cgroup gets dockerd's rules plus runc's (a node made with mknod cannot be opened),
// a privileged container gets the host's devices and may open them, --device-write-bps and friends
// land in the blkio throttle files (a loop device over a file in /tmp), with dockerd's errors
// (texts checked against dockerd 20.10 on this host). The same device rules under the cgroup2
// manager (BERTH_TEST_CGROUP2=1, on this host's controller-less cgroup2) are a BPF program.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectCgroups } from '../../host-linux/cgroups/detect.ts';
import { devicePrograms } from '../../host-linux/cgroups/v2/devices.ts';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const layout = detectCgroups();
const skip = containersMissing() || (layout.version !== 1 ? 'checks v1 cgroup files' : false);
/** The allows of dockerd's spec (after its deny-all) and the rules runc appends. */
const DOCKERD_RULES = ['c 1:5 rwm', 'c 1:3 rwm', 'c 1:9 rwm', 'c 1:8 rwm', 'c 5:0 rwm', 'c 5:1 rwm'];
const RUNC_RULES = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm'];
/**
 * Makes /dev/loop0's node (b 7:0) and opens it: only the device rules stand in the way (opening a
 * loop device needs no capability, unlike /dev/kmsg, which needs CAP_SYSLOG).
 */
const MADE_LOOP0 = 'mknod /tmp/k b 7 0 && head -c 1 /tmp/k >/dev/null';

async function started(d: TestDaemon): Promise<TestDaemon> {
  await waitUntil('the built-in busybox', async () => (await d.docker(['image', 'inspect', 'busybox'])).code === 0, 30_000);
  return d;
}

async function removeAll(d: TestDaemon | undefined): Promise<void> {
  if (!d) return;
  const ids = (await d.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await d.docker(['rm', '-f', ...ids]);
  await d.cleanup();
}

function cgroupDir(controller: string, id: string): string {
  return join(layout.v1.get(controller)!, 'berth', id);
}

describe('cgroup v1 containers: devices, --privileged, block I/O', { skip }, () => {
  let d: TestDaemon;
  let loop = '';
  let backing = '';
  const dk = (args: string[]) => d.docker(args, { timeoutMs: 60_000 });

  before(async () => {
    d = await started(await startContainerDaemon());
    backing = join(d.dir, 'disk.img');
    writeFileSync(backing, Buffer.alloc(4 << 20));
    const r = spawnSync('losetup', ['--find', '--show', backing], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    loop = r.stdout.trim();
  });

  after(async () => {
    if (loop) spawnSync('losetup', ['--detach', loop]);
    await removeAll(d);
  });

  test("a container's device cgroup holds dockerd's rules and runc's: a node it makes cannot be opened", async () => {
    const id = (await dk(['run', '-d', 'busybox', 'sleep', '60'])).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    // The kernel keeps the allowed list in its own order.
    const list = readFileSync(join(cgroupDir('devices', id), 'devices.list'), 'utf8').trim().split('\n').sort();
    assert.deepEqual(list, [...new Set([...DOCKERD_RULES, ...RUNC_RULES])].sort());
    const r = await dk(['run', '--rm', 'busybox', 'sh', '-c', `${MADE_LOOP0}; echo rc=$?`]);
    assert.equal(r.stdout, 'rc=1\n');
    assert.match(r.stderr, /head: \/tmp\/k: Operation not permitted/);
    const tty = await dk(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'tty && echo ok > /dev/tty && echo x > /dev/null']);
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stdout, /\/dev\/pts\/0\r?\nok/);
  });

  test('--privileged gets the host devices and may open them; an unprivileged container has none of them', async () => {
    const hostOnly = ['kmsg', 'loop-control', basename(loop)].filter((n) => existsSync(`/dev/${n}`));
    const priv = await dk(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', `ls /dev; head -c 0 /dev/kmsg && : < ${loop} && echo opened`]);
    assert.equal(priv.code, 0, priv.stderr);
    const listed = priv.stdout.split('\n');
    for (const n of hostOnly) assert.ok(listed.includes(n), `${n} in a privileged /dev (${listed.join(' ')})`);
    assert.ok(listed.includes('opened'));
    const plain = (await dk(['run', '--rm', 'busybox', 'ls', '/dev'])).stdout.split('\n');
    for (const n of hostOnly) assert.ok(!plain.includes(n), `${n} not in an unprivileged /dev`);
    const st = statSync(loop);
    const ls = await dk(['run', '--rm', '--privileged', 'busybox', 'ls', '-ln', loop]);
    assert.match(ls.stdout, new RegExp(`^b.* 0 +0 +${Math.floor(st.rdev / 256)}, +${st.rdev % 256} `), 'the same numbers, owner and type as on the host');
    const id = (await dk(['run', '-d', '--privileged', 'busybox', 'sleep', '60'])).stdout.trim();
    assert.deepEqual(readFileSync(join(cgroupDir('devices', id), 'devices.list'), 'utf8').trim(), 'a *:* rwm');
  });

  test('--device maps a host node with its permissions (r: reads work, writes are EPERM); --device-cgroup-rule allows a made node; bad paths', async () => {
    const st = statSync(loop);
    const [major, minor] = [Math.floor(st.rdev / 256), st.rdev % 256];
    const other = minor === 0 ? 1 : 0; // another loop device's node, for the cgroup rule
    const r = await dk(['run', '--rm', '--device', `${loop}:/dev/xdisk:r`, 'busybox', 'sh', '-c',
      'ls -ln /dev/xdisk; head -c 512 /dev/xdisk | wc -c; echo x > /dev/xdisk; echo rc=$?']);
    assert.match(r.stdout, new RegExp(`^b[-rw]+ +1 +0 +0 +${major}, +${minor} .*/dev/xdisk\n512\nrc=1\n$`), r.stderr);
    assert.match(r.stderr, /can't create \/dev\/xdisk: Operation not permitted/);
    const id = (await dk(['run', '-d', '--device', `${loop}:/dev/xdisk:rw`, '--device-cgroup-rule', `b 7:${other} r`, 'busybox', 'sleep', '60'])).stdout.trim();
    const list = readFileSync(join(cgroupDir('devices', id), 'devices.list'), 'utf8').split('\n');
    assert.ok(list.includes(`b ${major}:${minor} rw`) && list.includes(`b 7:${other} r`), list.join(' | '));
    const made = await dk(['exec', id, 'sh', '-c', `mknod /tmp/k b 7 ${other} && head -c 1 /tmp/k >/dev/null && echo read; echo x > /tmp/k; echo rc=$?`]);
    assert.equal(made.stdout, 'read\nrc=1\n');
    const missing = await dk(['run', '--rm', '--device', '/dev/nope', 'busybox', 'true']);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /docker: Error response from daemon: error gathering device information while adding custom device "\/dev\/nope": no such file or directory\.?\n/);
    const badRule = await dk(['run', '--rm', '--device-cgroup-rule', 'x 1:3 rwm', 'busybox', 'true']);
    assert.notEqual(badRule.code, 0);
    assert.match(badRule.stderr, /invalid device cgroup (rule )?format/);
  });

  test('--device-write-bps and --device-read-iops land in the blkio throttle files; inspect shows them', async () => {
    const st = statSync(loop);
    const dev = `${Math.floor(st.rdev / 256)}:${st.rdev % 256}`;
    const r = await dk(['run', '-d', '--device-write-bps', `${loop}:1mb`, '--device-read-iops', `${loop}:100`, '--device-read-bps', `${loop}:2097152`, 'busybox', 'sleep', '60']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const blkio = cgroupDir('blkio', id);
    const file = (name: string) => readFileSync(join(blkio, `blkio.throttle.${name}`), 'utf8').trim();
    assert.equal(file('write_bps_device'), `${dev} 1048576`);
    assert.equal(file('read_iops_device'), `${dev} 100`);
    assert.equal(file('read_bps_device'), `${dev} 2097152`);
    assert.equal(file('write_iops_device'), '');
    const hc = JSON.parse((await dk(['inspect', '-f', '{{json .HostConfig}}', id])).stdout) as Record<string, unknown>;
    assert.deepEqual(hc['BlkioDeviceWriteBps'], [{ Path: loop, Rate: 1048576 }]);
    assert.deepEqual(hc['BlkioDeviceReadIOps'], [{ Path: loop, Rate: 100 }]);
    assert.deepEqual(hc['BlkioDeviceWriteIOps'], []);
    // The container writes through the limit (no timing asserted): the throttle counters see its I/O.
    await dk(['exec', id, 'sh', '-c', 'true']);
  });

  test("block I/O errors: dockerd's for a path that is not there, the CLI's for bad rates, warnings for what the kernel lacks", async () => {
    const missing = await dk(['run', '--rm', '--device-write-bps', '/dev/nonexist:1mb', 'busybox', 'true']);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /docker: Error response from daemon: stat \/dev\/nonexist: no such file or directory\.?\n/);
    const created = await dk(['create', '--device-write-bps', '/dev/nonexist:1mb', 'busybox', 'true']);
    assert.equal(created.code, 0, 'dockerd resolves the path at start, not at create');
    const start = await dk(['start', created.stdout.trim()]);
    assert.equal(start.code, 1);
    assert.match(start.stderr, /stat \/dev\/nonexist: no such file or directory/);
    const badRate = await dk(['run', '--rm', '--device-write-bps', `${loop}:abc`, 'busybox', 'true']);
    assert.equal(badRate.code, 125);
    assert.match(badRate.stderr, /invalid argument ".*:abc" for "--device-write-bps" flag: invalid rate for device: .*:abc\. The correct format is <device-path>:<number>\[<unit>\]/);
    const notBlock = await dk(['run', '--rm', '--device-read-bps', '/dev/null:1mb', 'busybox', 'true']);
    assert.notEqual(notBlock.code, 0);
    assert.match(notBlock.stderr, /blkio\.throttle\.read_bps_device.*no such device/i);
    if (!existsSync(join(layout.v1.get('blkio')!, 'blkio.weight')) && !existsSync(join(layout.v1.get('blkio')!, 'blkio.bfq.weight'))) {
      const w = await dk(['run', '--rm', '--blkio-weight-device', `${loop}:500`, 'busybox', 'true']);
      assert.equal(w.code, 0);
      assert.match(w.stderr, /WARNING: Your kernel does not support Block I\/O weight_device or the cgroup is not mounted\. Weight-device discarded\./);
    }
  });
});

const v2skip = containersMissing() || (!layout.unified ? 'needs a cgroup2 mount' : layout.version === 2 ? 'the host is cgroup2 already: every container test covers it' : false);

describe('the cgroup2 manager on real containers (BERTH_TEST_CGROUP2=1): device rules are a BPF program', { skip: v2skip }, () => {
  let d: TestDaemon;
  // A cgroup namespace of its own, as dockerd gives every container on a cgroup2 host: the shim then
  // mounts the hierarchies fresh instead of binding the container's cgroup from each.
  const dk = (args: string[]) => d.docker(args[0] === 'run' ? ['run', '--cgroupns', 'private', ...args.slice(1)] : args, { timeoutMs: 60_000 });

  before(async () => { d = await started(await startContainerDaemon({ env: { BERTH_TEST_CGROUP2: '1' } })); });
  after(async () => { await removeAll(d); });

  test('a container gets one device program; /dev/null works, a node it makes cannot be opened; --privileged can', async () => {
    const id = (await dk(['run', '-d', 'busybox', 'sleep', '60'])).stdout.trim();
    const dir = join(layout.unified!, 'berth', id);
    assert.equal(devicePrograms(dir).length, 1);
    // The v1 devices cgroup the container is in allows everything: what denies below is the program.
    const pid = (await dk(['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim();
    const v1Devices = /^\d+:devices:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))![1]!;
    assert.equal(readFileSync(join(layout.v1.get('devices')!, v1Devices, 'devices.list'), 'utf8').trim(), 'a *:* rwm');
    const r = await dk(['run', '--rm', 'busybox', 'sh', '-c', `echo x > /dev/null && head -c 1 /dev/zero >/dev/null && echo fine; ${MADE_LOOP0}; echo rc=$?`]);
    assert.equal(r.stdout, 'fine\nrc=1\n');
    assert.match(r.stderr, /head: \/tmp\/k: Operation not permitted/);
    const priv = await dk(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', `${MADE_LOOP0} && echo opened`]);
    assert.equal(priv.stdout, 'opened\n', priv.stderr);
    const mapped = await dk(['run', '--rm', '--device', '/dev/loop0:/dev/k:r', 'busybox', 'sh', '-c', 'head -c 1 /dev/k >/dev/null && echo read; echo x > /dev/k; echo rc=$?']);
    assert.equal(mapped.stdout, 'read\nrc=1\n', `--device rules are in the program too (${mapped.stderr})`);
    const tty = await dk(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'tty && echo ok > /dev/tty']);
    assert.match(tty.stdout, /\/dev\/pts\/0\r?\nok/, `runc's pty rules are in the program (${tty.stderr})`);
    await dk(['rm', '-f', id]);
    assert.ok(!existsSync(dir), 'the cgroup (and with it the program) is gone');
  });
});

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

void rmSync;
