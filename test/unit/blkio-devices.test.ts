// Block I/O flags and --privileged devices, the pure parts: docker's flag parsing and error texts
// (checked against docker 28 on this host), the API's checks, the spec's linux.resources.blockIO
// with paths resolved through the host, host devices merged into linux.devices, and the /dev walk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlagError, parseFlags } from '../../core/cli/flags.ts';
import { containerFlags, runOnlyFlags } from '../../core/cli/run/flags.ts';
import { parseContainerOptions } from '../../core/cli/run/config.ts';
import { validateHostConfig } from '../../core/container/host-config.ts';
import { generateSpec, type SpecInput } from '../../core/runtime-spec/spec.ts';
import { devNumbers, hostDevices, resolveDevice } from '../../host-linux/runtime/host-devices.ts';
import { native } from '../../host-linux/native/index.ts';

async function hostConfig(argv: string[]): Promise<Record<string, unknown>> {
  const p = parseFlags([...containerFlags(), ...runOnlyFlags()], [...argv, 'busybox'], { interspersed: false });
  const r = await parseContainerOptions({ flags: p.values, changed: p.changed, args: p.args, env: {}, readFile: async () => undefined }, 'run');
  return r.body['HostConfig'] as Record<string, unknown>;
}

test('--device-*-bps take sizes, --device-*-iops whole numbers, --blkio-weight-device 10..1000 or 0', async () => {
  const hc = await hostConfig([
    '--device-read-bps', '/dev/sda:1mb', '--device-write-bps', '/dev/sdb:1.5k', '--device-write-bps', '/dev/sdc:100',
    '--device-read-iops', '/dev/sda:1000', '--device-write-iops', '/dev/sda:0', '--blkio-weight-device', '/dev/sda:500', '--blkio-weight-device', '/dev/sdb:0',
  ]);
  assert.deepEqual(hc['BlkioDeviceReadBps'], [{ Path: '/dev/sda', Rate: 1048576 }]);
  assert.deepEqual(hc['BlkioDeviceWriteBps'], [{ Path: '/dev/sdb', Rate: 1536 }, { Path: '/dev/sdc', Rate: 100 }]);
  assert.deepEqual(hc['BlkioDeviceReadIOps'], [{ Path: '/dev/sda', Rate: 1000 }]);
  assert.deepEqual(hc['BlkioDeviceWriteIOps'], [{ Path: '/dev/sda', Rate: 0 }]);
  assert.deepEqual(hc['BlkioWeightDevice'], [{ Path: '/dev/sda', Weight: 500 }, { Path: '/dev/sdb', Weight: 0 }]);
  assert.deepEqual((await hostConfig([]))['BlkioDeviceReadBps'], [], 'none: [] as docker sends');
});

test("bad block I/O flag values: docker's texts", async () => {
  const bpsHelp = 'The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb';
  const cases: [string[], string][] = [
    [['--device-write-bps', '/dev/loop0:abc'], `invalid argument "/dev/loop0:abc" for "--device-write-bps" flag: invalid rate for device: /dev/loop0:abc. ${bpsHelp}`],
    [['--device-write-bps', '/dev/loop0:-1'], `invalid argument "/dev/loop0:-1" for "--device-write-bps" flag: invalid rate for device: /dev/loop0:-1. ${bpsHelp}`],
    [['--device-write-bps', 'loop0:1mb'], 'invalid argument "loop0:1mb" for "--device-write-bps" flag: bad format for device path: loop0:1mb'],
    [['--device-write-bps', '/dev/loop0'], 'invalid argument "/dev/loop0" for "--device-write-bps" flag: bad format: /dev/loop0'],
    [['--device-write-iops', '/dev/loop0:1.5'], 'invalid argument "/dev/loop0:1.5" for "--device-write-iops" flag: invalid rate for device: /dev/loop0:1.5. The correct format is <device-path>:<number>. Number must be a positive integer'],
    [['--device-read-iops', ':5'], 'invalid argument ":5" for "--device-read-iops" flag: bad format: :5'],
    [['--blkio-weight-device', '/dev/loop0:5'], 'invalid argument "/dev/loop0:5" for "--blkio-weight-device" flag: invalid weight for device: /dev/loop0:5'],
    [['--blkio-weight-device', '/dev/loop0:1001'], 'invalid argument "/dev/loop0:1001" for "--blkio-weight-device" flag: invalid weight for device: /dev/loop0:1001'],
  ];
  for (const [argv, message] of cases) {
    await assert.rejects(hostConfig(argv), (e: unknown) => e instanceof FlagError && e.message === message, argv.join(' '));
  }
});

test("the API's lists as dockerd decodes them: negative or fractional rates and weights past uint16 are refused", () => {
  const ok = { BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }], BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 500 }] };
  validateHostConfig(ok, { ncpu: 2 });
  assert.throws(() => validateHostConfig({ BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: -1 }] }, { ncpu: 2 }),
    /json: cannot unmarshal number -1 into Go struct field ThrottleDevice\.HostConfig\.BlkioDeviceWriteIOps\.Rate of type uint64/);
  assert.throws(() => validateHostConfig({ BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 70000 }] }, { ncpu: 2 }), /of type uint16/);
  assert.throws(() => validateHostConfig({ BlkioDeviceReadBps: [{ Path: '', Rate: 1 }] }, { ncpu: 2 }), /needs a Path/);
});

const ID = 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';
function input(over: Partial<SpecInput> = {}): SpecInput {
  return {
    id: ID, config: { Image: 'busybox', Cmd: ['true'] }, hostConfig: {}, rootfs: { readFile: () => null }, rootfsPath: 'rootfs',
    files: { hostname: '/h', hosts: '/hs', resolvConf: '/r' }, host: { arch: 'x64', kernel: '6.1.0', cgroupVersion: 1 }, ...over,
  };
}

test('linux.resources.blockIO: paths resolved by the host to major:minor, as dockerd fills it', async () => {
  const seen: string[] = [];
  const resolveDevice = (path: string) => { seen.push(path); return path === '/dev/sda' ? { major: 8, minor: 0 } : { major: 7, minor: 3 }; };
  const { spec } = await generateSpec(input({
    resolveDevice,
    hostConfig: {
      BlkioWeight: 300, BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 200 }], BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1048576 }],
      BlkioDeviceWriteBps: [{ Path: '/dev/loop3', Rate: 2 }], BlkioDeviceReadIOps: [{ Path: '/dev/sda', Rate: 10 }], BlkioDeviceWriteIOps: [],
    },
  }));
  assert.deepEqual(spec.linux!.resources!.blockIO, {
    weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 7, minor: 3, rate: 2 }], throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 10 }],
  });
  assert.deepEqual(seen.sort(), ['/dev/loop3', '/dev/sda', '/dev/sda', '/dev/sda']);
  const bad = () => { throw new Error('stat /dev/nope: no such file or directory'); };
  await assert.rejects(generateSpec(input({ resolveDevice: bad, hostConfig: { BlkioDeviceReadBps: [{ Path: '/dev/nope', Rate: 1 }] } })), /stat \/dev\/nope: no such file or directory/);
  await assert.rejects(generateSpec(input({ hostConfig: { BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }] } })), /not supported on this host/);
  const plain = await generateSpec(input());
  assert.deepEqual(plain.spec.linux!.resources!.blockIO, { weight: 0 });
});

test('--privileged: the host devices join linux.devices (the host\'s entry wins for a default path); allow-all rules', async () => {
  const host = { arch: 'x64', kernel: '6.1.0', cgroupVersion: 1 as const, devices: [
    { path: '/dev/loop0', type: 'b' as const, major: 7, minor: 0, fileMode: 0o660, uid: 0, gid: 6 },
    { path: '/dev/null', type: 'c' as const, major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  ] };
  const priv = await generateSpec(input({ host, hostConfig: { Privileged: true } }));
  const paths = priv.spec.linux!.devices!.map((d) => d.path);
  assert.ok(paths.includes('/dev/loop0') && paths.includes('/dev/zero'));
  assert.equal(paths.filter((p) => p === '/dev/null').length, 1);
  assert.deepEqual(priv.spec.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
  const plain = await generateSpec(input({ host }));
  assert.ok(!plain.spec.linux!.devices!.some((d) => d.path === '/dev/loop0'), 'only --privileged gets them');
});

test('hostDevices walks /dev as containerd does: nodes only, no symlinks, no console, pts/shm/fd/mqueue skipped', { skip: process.getuid?.() !== 0 ? 'mknod needs root' : false }, () => {
  const dev = mkdtempSync(join(tmpdir(), 'berth-dev-'));
  try {
    const S_IFCHR = 0o020000;
    const S_IFBLK = 0o060000;
    native().mknod(join(dev, 'null'), S_IFCHR | 0o666, 1, 3);
    native().mknod(join(dev, 'console'), S_IFCHR | 0o600, 5, 1);
    mkdirSync(join(dev, 'pts'));
    native().mknod(join(dev, 'pts', '0'), S_IFCHR | 0o620, 136, 0);
    mkdirSync(join(dev, 'mapper'));
    native().mknod(join(dev, 'mapper', 'big'), S_IFBLK | 0o660, 259, 1048575);
    chmodSync(join(dev, 'null'), 0o666); // past the umask
    chmodSync(join(dev, 'mapper', 'big'), 0o660);
    symlinkSync('null', join(dev, 'link'));
    writeFileSync(join(dev, 'file'), '');
    const got = hostDevices(dev).map((d) => `${d.path.slice(dev.length)} ${d.type} ${d.major}:${d.minor} ${d.fileMode!.toString(8)}`);
    assert.deepEqual(got, ['/mapper/big b 259:1048575 660', '/null c 1:3 666']);
    assert.deepEqual(resolveDevice(join(dev, 'link')), { major: 1, minor: 3 }, 'a path is followed to its node, as stat does');
    assert.throws(() => resolveDevice(join(dev, 'nope')), new RegExp(`^BerthError: stat ${dev}/nope: no such file or directory$`));
  } finally {
    rmSync(dev, { recursive: true, force: true });
  }
});

test("dev_t numbers split as glibc's major() and minor()", () => {
  assert.deepEqual(devNumbers(0x0103n), { major: 1, minor: 3 });
  // major 259, minor 1048575 (the largest): minor's high bits sit above major's low ones.
  const rdev = (0xffn) | (0x103n << 8n) | (0xfff00n << 12n);
  assert.deepEqual(devNumbers(rdev), { major: 259, minor: 1048575 });
});

test("--device and --device-cgroup-rule as dockerd's WithDevices: nodes at PathInContainer, their rules after the defaults, then the cgroup rules", async () => {
  const lookup = (p: string) => (p === '/dev/snd'
    ? [{ path: '/dev/snd/pcm', type: 'c' as const, major: 116, minor: 2, fileMode: 0o660, uid: 0, gid: 29 }]
    : [{ path: p, type: 'b' as const, major: 7, minor: 3, fileMode: 0o660, uid: 0, gid: 6 }]);
  const hostConfig = {
    Devices: [{ PathOnHost: '/dev/loop3', PathInContainer: '/dev/xdisk', CgroupPermissions: 'r' }, { PathOnHost: '/dev/snd', PathInContainer: '/dev/sound', CgroupPermissions: 'rw' }],
    DeviceCgroupRules: ['c 42:* rmw', 'a *:* m'],
  };
  const { spec } = await generateSpec(input({ lookupDevices: lookup, hostConfig }));
  const devices = spec.linux!.devices!;
  assert.deepEqual(devices.find((d) => d.path === '/dev/xdisk'), { path: '/dev/xdisk', type: 'b', major: 7, minor: 3, fileMode: 0o660, uid: 0, gid: 6 });
  assert.ok(devices.some((d) => d.path === '/dev/sound/pcm' && d.major === 116));
  assert.deepEqual(spec.linux!.resources!.devices!.slice(-4), [
    { allow: true, type: 'b', major: 7, minor: 3, access: 'r' }, { allow: true, type: 'c', major: 116, minor: 2, access: 'rw' },
    { allow: true, type: 'c', major: 42, minor: -1, access: 'rmw' }, { allow: true, type: 'a', major: -1, minor: -1, access: 'm' },
  ]);
  await assert.rejects(generateSpec(input({ lookupDevices: lookup, hostConfig: { DeviceCgroupRules: ['x 1:3 rwm'] } })), /invalid device cgroup rule format: 'x 1:3 rwm'/);
  await assert.rejects(generateSpec(input({ hostConfig: { Devices: hostConfig.Devices } })), /devices are not supported on this host/);
  // Privileged: the host's /dev is there already; only a mapping to another path adds a node, and rules stay allow-all.
  const priv = await generateSpec(input({ lookupDevices: lookup, hostConfig: { ...hostConfig, Privileged: true, Devices: [...hostConfig.Devices, { PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'r' }] } }));
  assert.ok(priv.spec.linux!.devices!.some((d) => d.path === '/dev/xdisk'));
  assert.ok(!priv.spec.linux!.devices!.some((d) => d.path === '/dev/sda'));
  assert.deepEqual(priv.spec.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
});

test("--device and --device-cgroup-rule: docker's client-side checks and texts", async () => {
  const hc = await hostConfig(['--device', '/dev/loop0', '--device', '/dev/loop1:r', '--device', '/dev/loop2:/dev/x', '--device', '/dev/loop3:/dev/y:rw', '--device-cgroup-rule', 'c 1:* rwm']);
  assert.deepEqual(hc['Devices'], [
    { PathOnHost: '/dev/loop0', PathInContainer: '/dev/loop0', CgroupPermissions: 'rwm' }, { PathOnHost: '/dev/loop1', PathInContainer: '/dev/loop1', CgroupPermissions: 'r' },
    { PathOnHost: '/dev/loop2', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' }, { PathOnHost: '/dev/loop3', PathInContainer: '/dev/y', CgroupPermissions: 'rw' },
  ]);
  assert.deepEqual(hc['DeviceCgroupRules'], ['c 1:* rwm']);
  await assert.rejects(hostConfig(['--device', '/dev/loop0:/dev/x:rwx']), { message: 'bad mode specified: rwx' });
  await assert.rejects(hostConfig(['--device', '/dev/loop0:x']), { message: 'x is not an absolute path' });
  await assert.rejects(hostConfig(['--device', ':/dev/x']), { message: 'bad format for path: :/dev/x' });
  await assert.rejects(hostConfig(['--device-cgroup-rule', 'x 1:3 rwm']),
    (e: unknown) => e instanceof FlagError && e.message === `invalid argument "x 1:3 rwm" for "--device-cgroup-rule" flag: invalid device cgroup format 'x 1:3 rwm'`);
});
