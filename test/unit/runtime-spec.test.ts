// The OCI spec generator's parts: user resolution, capabilities, seccomp conditions, mounts and
// tmpfs options, rlimits, security options, and whole specs for the modes the fixtures don't cover.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveExecUser, resolveUser, resolveAdditionalGroups } from '../../core/runtime-spec/user.ts';
import { containerCapabilities, normalizeCapabilities, capabilitiesFromMask, DEFAULT_CAPABILITIES, ALL_CAPABILITIES } from '../../core/runtime-spec/capabilities.ts';
import { resolveSeccomp, kernelAtLeast } from '../../core/runtime-spec/seccomp.ts';
import { DEFAULT_SECCOMP_PROFILE } from '../../core/runtime-spec/seccomp-default.ts';
import { mergeTmpfsOptions, tmpfsMountData } from '../../core/runtime-spec/tmpfs-options.ts';
import { parseBind, parseApiMount, userMounts } from '../../core/runtime-spec/mounts.ts';
import { parseUlimit, specRlimits, validateUlimits } from '../../core/runtime-spec/rlimits.ts';
import { parseSecurityOpts } from '../../core/runtime-spec/security-opts.ts';
import { generateSpec, type SpecInput } from '../../core/runtime-spec/spec.ts';
import { containerEnv, entrypointAndArgs, mergeImageConfig, replaceOrAppendEnv } from '../../core/runtime-spec/process.ts';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n# comment\n\nbob:x:1001:100::/home/bob:/bin/sh\n';
const GROUP = 'root:x:0:\nusers:x:100:\naudio:x:29:alice,bob\nalice:x:1000:\nstaff:x:50:alice\n';
const rootfs = { readFile: (p: string) => (p === '/etc/passwd' ? PASSWD : p === '/etc/group' ? GROUP : null) };
const ID = 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';

function input(over: Partial<SpecInput> = {}): SpecInput {
  return {
    id: ID, config: { Cmd: ['sh'], Env: ['PATH=/bin'] }, hostConfig: {}, rootfs, rootfsPath: 'rootfs',
    files: { hostname: '/c/hostname', hosts: '/c/hosts', resolvConf: '/c/resolv.conf' },
    host: { arch: 'x64', kernel: '6.1.0-18-amd64', cgroupVersion: 1, hostname: 'vm' },
    ...over,
  };
}

describe('user resolution', () => {
  it('names, uids, user:group, supplementary groups only without an explicit group', () => {
    assert.deepEqual(resolveExecUser('', PASSWD, GROUP), { uid: 0, gid: 0, sgids: [], home: '/root' });
    assert.deepEqual(resolveExecUser('alice', PASSWD, GROUP), { uid: 1000, gid: 1000, sgids: [29, 50], home: '/home/alice' });
    assert.deepEqual(resolveExecUser('1000', PASSWD, GROUP), { uid: 1000, gid: 1000, sgids: [29, 50], home: '/home/alice' });
    assert.deepEqual(resolveExecUser('alice:staff', PASSWD, GROUP), { uid: 1000, gid: 50, sgids: [], home: '/home/alice' });
    assert.deepEqual(resolveExecUser('bob:4242', PASSWD, GROUP), { uid: 1001, gid: 4242, sgids: [], home: '/home/bob' });
    // An unknown uid is fine: it runs with gid 0, as Docker does.
    assert.deepEqual(resolveExecUser('4000', PASSWD, GROUP), { uid: 4000, gid: 0, sgids: [], home: '/' });
    assert.deepEqual(resolveExecUser('4000:4001', null, null), { uid: 4000, gid: 4001, sgids: [], home: '/' });
  });
  it("Docker's errors for unknown names and out-of-range ids", () => {
    assert.throws(() => resolveExecUser('nosuch', PASSWD, GROUP), { message: 'unable to find user nosuch: no matching entries in passwd file' });
    assert.throws(() => resolveExecUser('alice', null, null), { message: 'unable to find user alice: no matching entries in passwd file' });
    assert.throws(() => resolveExecUser('alice:nogroup', PASSWD, GROUP), { message: 'unable to find group nogroup: no matching entries in group file' });
    assert.throws(() => resolveExecUser('-1', PASSWD, GROUP), { message: 'uids and gids must be in range 0-2147483647' });
    assert.throws(() => resolveAdditionalGroups(['nosuch'], GROUP), { message: 'Unable to find group nosuch: no matching entries in group file' });
  });
  it('additionalGids: the primary gid, /etc/group memberships, then --group-add', async () => {
    assert.deepEqual(await resolveUser('alice', ['audio', '1234', 'users'], rootfs), { uid: 1000, gid: 1000, additionalGids: [1000, 29, 50, 29, 1234, 100] });
    assert.deepEqual(await resolveUser('', null, rootfs), { uid: 0, gid: 0, additionalGids: [0] });
  });
});

describe('capabilities', () => {
  it('defaults, add/drop with any spelling, ALL, unknown names', () => {
    assert.deepEqual(containerCapabilities({}), DEFAULT_CAPABILITIES);
    assert.deepEqual(containerCapabilities({ capAdd: ['sys_admin'], capDrop: ['cap_chown', 'Net_Raw'] }),
      [...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN' && c !== 'CAP_NET_RAW'), 'CAP_SYS_ADMIN']);
    assert.deepEqual(containerCapabilities({ capDrop: ['all'], capAdd: ['kill'] }), ['CAP_KILL']);
    assert.deepEqual(containerCapabilities({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'] }), ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_ADMIN'));
    assert.throws(() => normalizeCapabilities(['foo']), { message: 'unknown capability: "CAP_FOO"' });
  });
  it('--privileged gets every capability the host has', () => {
    const host = capabilitiesFromMask('000001fffeffffff');
    assert.equal(host.includes('CAP_SYS_RESOURCE'), false);
    assert.equal(host.length, 40);
    assert.deepEqual(containerCapabilities({ privileged: true, hostCapabilities: host }), host);
    assert.deepEqual(containerCapabilities({ privileged: true, capDrop: ['ALL'] }), [...ALL_CAPABILITIES]);
  });
});

describe('seccomp', () => {
  const names = (caps: string[], arch = 'amd64', kernel = '6.1') =>
    resolveSeccomp(DEFAULT_SECCOMP_PROFILE, { arch, capabilities: caps, kernel }).syscalls!;
  it('applies the profile by capability, architecture and kernel', () => {
    const base = names(DEFAULT_CAPABILITIES);
    const allowed = (rules: typeof base, n: string) => rules.some((r) => r.names.includes(n) && r.action === 'SCMP_ACT_ALLOW' && !r.args);
    assert.ok(allowed(base, 'arch_prctl'));
    assert.ok(allowed(base, 'chroot'), 'CAP_SYS_CHROOT is a default capability');
    assert.ok(!allowed(base, 'mount'));
    assert.ok(!allowed(base, 'riscv_flush_icache'));
    assert.ok(base.some((r) => r.names[0] === 'clone3' && r.errnoRet === 38));
    assert.ok(base.some((r) => r.names[0] === 'clone' && r.args?.[0]?.index === 0));
    const admin = names([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    assert.ok(allowed(admin, 'mount'));
    assert.ok(!admin.some((r) => r.names[0] === 'clone3'), 'clone3 is not refused with CAP_SYS_ADMIN');
    assert.ok(allowed(names(DEFAULT_CAPABILITIES, 'amd64', '4.4'), 'ptrace') === false, 'ptrace needs kernel 4.8');
    const s390 = names(DEFAULT_CAPABILITIES, 's390x');
    assert.ok(s390.some((r) => r.names[0] === 'clone' && r.args?.[0]?.index === 1));
    assert.deepEqual(resolveSeccomp(DEFAULT_SECCOMP_PROFILE, { arch: 'arm64', capabilities: [], kernel: '6.1' }).architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });
  it('compares kernel releases numerically', () => {
    assert.ok(kernelAtLeast('4.10.0', '4.8'));
    assert.ok(!kernelAtLeast('4.4.0-generic', '4.8'));
    assert.ok(kernelAtLeast('6.18.44-fc-v657', '4.11'));
  });
});

describe('mounts', () => {
  it('merges tmpfs options as dockerd: last wins, flags by what they set', () => {
    assert.deepEqual(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m', 'exec', 'size=2m']), ['nosuid', 'nodev', 'rprivate', 'exec', 'size=2m']);
    assert.throws(() => mergeTmpfsOptions(['foo']), { message: 'Invalid tmpfs option ["foo"]' });
    assert.equal(tmpfsMountData({ SizeBytes: 3 * 2 ** 30, Mode: 0o700 }, true), 'ro,mode=700,size=3g');
    assert.equal(tmpfsMountData({ SizeBytes: 1000 }, false), 'size=1000');
  });
  it('parses -v binds and --mount as dockerd, with its errors', () => {
    assert.deepEqual(parseBind('/h:/c:ro,rshared'), { Type: 'bind', Source: '/h', Destination: '/c', Mode: 'ro,rshared', RW: false, Propagation: 'rshared', createHostPath: true, origin: 'Binds' });
    assert.equal(parseBind('vol:/data').Type, 'volume');
    assert.throws(() => parseBind('/c:ro'), { message: "invalid volume specification: '/c:ro'" });
    assert.throws(() => parseBind('/h:/c:bogus'), { message: 'invalid mode: bogus' });
    assert.throws(() => parseBind('/h:/c:ro,rw'), { message: 'invalid mode: ro,rw' });
    assert.throws(() => parseBind('/h:rel'), { message: `invalid volume specification: '/h:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute` });
    assert.throws(() => parseBind('/h:/'), { message: "invalid specification: destination can't be '/'" });
    assert.throws(() => parseApiMount({ Type: 'bind', Target: '/x' }), { message: 'invalid mount config for type "bind": field Source must not be empty' });
    assert.throws(() => parseApiMount({ Type: 'tmpfs', Source: '/a', Target: '/x' }), { message: 'invalid mount config for type "tmpfs": field Source must not be specified' });
    assert.throws(() => parseApiMount({ Type: 'bogus' as 'bind', Target: '/x' }), { message: 'invalid mount config for type "bogus": mount type unknown' });
    assert.throws(() => userMounts({ Binds: ['/a:/x'], Tmpfs: { '/x': '' } }), { message: 'Duplicate mount point: /x' });
  });
});

describe('rlimits and security options', () => {
  it('parses --ulimit and caps limits at the host hard limit', () => {
    assert.deepEqual(parseUlimit('nofile=1024:2048'), { Name: 'nofile', Soft: 1024, Hard: 2048 });
    assert.deepEqual(parseUlimit('nproc=500'), { Name: 'nproc', Soft: 500, Hard: 500 });
    assert.throws(() => parseUlimit('nofile=10:5'), { message: 'ulimit soft limit must be less than or equal to hard limit: 10 > 5' });
    assert.throws(() => parseUlimit('bogus=1'), { message: 'invalid ulimit type: bogus' });
    assert.throws(() => validateUlimits([{ Name: 'nofile', Soft: 3, Hard: 2 }]), /soft limit/);
    const r = specRlimits([{ Name: 'nofile', Soft: 30000, Hard: 40000 }, { Name: 'core', Soft: 0, Hard: 0 }], {
      host: { RLIMIT_NOFILE: { soft: 20000, hard: 20000 } }, defaults: [{ Name: 'nproc', Soft: 10, Hard: 10 }],
    });
    assert.deepEqual(r.rlimits, [{ type: 'RLIMIT_NPROC', hard: 10, soft: 10 }, { type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }, { type: 'RLIMIT_CORE', hard: 0, soft: 0 }]);
    assert.equal(r.warnings.length, 1);
  });
  it("parses --security-opt as dockerd, noNewPrivileges off by default", () => {
    assert.deepEqual(parseSecurityOpts(null), { noNewPrivileges: false, seccompProfile: '', apparmorProfile: '', labelOpts: [] });
    assert.equal(parseSecurityOpts(['no-new-privileges:true']).noNewPrivileges, true);
    assert.equal(parseSecurityOpts(['no-new-privileges=false']).noNewPrivileges, false);
    assert.equal(parseSecurityOpts(['seccomp=unconfined']).seccompProfile, 'unconfined');
    assert.throws(() => parseSecurityOpts(['foo=bar']), { message: 'invalid --security-opt 2: "foo=bar"' });
    assert.throws(() => parseSecurityOpts(['foo']), { message: 'invalid --security-opt 1: "foo"' });
    assert.throws(() => parseSecurityOpts(['no-new-privileges=maybe']), { message: 'invalid --security-opt 2: "no-new-privileges=maybe"' });
  });
});

describe('process', () => {
  it('ENTRYPOINT/CMD rules of the create body against the image', () => {
    const image = { Entrypoint: ['/entry'], Cmd: ['default'], Env: ['PATH=/img', 'A=1'], WorkingDir: '/w', User: 'alice' };
    const m = mergeImageConfig({ Cmd: ['x'] }, image);
    assert.deepEqual([m.Entrypoint, m.Cmd, m.WorkingDir, m.User], [['/entry'], ['x'], '/w', 'alice']);
    const e = mergeImageConfig({ Entrypoint: ['/other'] }, image);
    assert.deepEqual([e.Entrypoint, e.Cmd], [['/other'], null]);
    const cleared = mergeImageConfig({ Entrypoint: [''], Cmd: ['echo', 'hi'] }, image);
    assert.deepEqual([cleared.Entrypoint, cleared.Cmd], [null, ['echo', 'hi']]);
    assert.throws(() => entrypointAndArgs(mergeImageConfig({ Entrypoint: [''] }, image)), { message: 'No command specified' });
    assert.deepEqual(entrypointAndArgs(mergeImageConfig({}, image)), { path: '/entry', args: ['default'] });
    assert.deepEqual(mergeImageConfig({ Env: ['A=2', 'B=3'] }, image).Env, ['A=2', 'B=3', 'PATH=/img']);
  });
  it('environment: PATH default, HOSTNAME, TERM with a TTY, later wins, bare names unset', () => {
    assert.deepEqual(containerEnv({}, 'h'), ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h']);
    assert.deepEqual(containerEnv({ Tty: true, Env: ['A=1', 'PATH=/x', 'A=2'] }, 'h'), ['PATH=/x', 'HOSTNAME=h', 'TERM=xterm', 'A=2']);
    assert.deepEqual(replaceOrAppendEnv(['A=1', 'B=2'], ['A', 'C=3']), ['B=2', 'C=3']);
  });
});

describe('whole specs', () => {
  it('a default container', async () => {
    const { spec } = await generateSpec(input());
    assert.equal(spec.hostname, ID.slice(0, 12));
    assert.deepEqual(spec.process!.args, ['sh']);
    assert.deepEqual(spec.process!.env, ['PATH=/bin', `HOSTNAME=${ID.slice(0, 12)}`]);
    assert.equal(spec.process!.noNewPrivileges, undefined);
    assert.equal(spec.linux!.cgroupsPath, `/berth/${ID}`);
    assert.deepEqual(spec.linux!.namespaces!.map((n) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc']);
    assert.deepEqual(spec.mounts!.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
    assert.deepEqual(spec.mounts![6]!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864']);
    assert.deepEqual(spec.linux!.seccomp!.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });
  it('cgroup v2 hosts get a cgroup namespace; host modes drop namespaces', async () => {
    const v2 = await generateSpec(input({ host: { arch: 'amd64', kernel: '6.1', cgroupVersion: 2 } }));
    assert.deepEqual(v2.spec.linux!.namespaces!.map((n) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc', 'cgroup']);
    const host = await generateSpec(input({ hostConfig: { NetworkMode: 'host', PidMode: 'host', IpcMode: 'host', UTSMode: 'host', CgroupnsMode: 'private' } }));
    assert.deepEqual(host.spec.linux!.namespaces!.map((n) => n.type), ['mount', 'cgroup']);
    assert.equal(host.spec.hostname, undefined);
    assert.equal(host.spec.linux!.sysctl, undefined);
    assert.ok(host.spec.mounts!.some((m) => m.destination === '/dev/shm' && m.type === 'bind' && m.source === '/dev/shm'));
    const joined = await generateSpec(input({ hostConfig: { NetworkMode: 'container:abc' }, namespacePaths: { network: '/proc/42/ns/net' } }));
    assert.deepEqual(joined.spec.linux!.namespaces![1], { type: 'network', path: '/proc/42/ns/net' });
    await assert.rejects(generateSpec(input({ hostConfig: { NetworkMode: 'container:abc' } })), /not supported yet/);
  });
  it('user, caps, init, read-only, sysctls, volumes', async () => {
    const { spec } = await generateSpec(input({
      config: { Cmd: ['sh'], User: 'alice', Tty: true, WorkingDir: '/home/alice' },
      hostConfig: { Init: true, ReadonlyRootfs: true, Sysctls: { 'net.core.somaxconn': '1024' }, SecurityOpt: ['no-new-privileges'], ShmSize: 1 << 20 },
      initPath: '/usr/libexec/berth-init',
    }));
    assert.deepEqual(spec.process!.user, { uid: 1000, gid: 1000, additionalGids: [1000, 29, 50] });
    assert.deepEqual(Object.keys(spec.process!.capabilities!), ['bounding']);
    assert.deepEqual(spec.process!.args, ['/sbin/docker-init', '--', 'sh']);
    assert.equal(spec.process!.terminal, true);
    assert.equal(spec.process!.noNewPrivileges, true);
    assert.equal(spec.process!.cwd, '/home/alice');
    assert.deepEqual(spec.root, { path: 'rootfs', readonly: true });
    assert.deepEqual(spec.mounts!.find((m) => m.destination === '/sbin/docker-init'), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/libexec/berth-init', options: ['bind', 'ro'] });
    assert.deepEqual(spec.mounts!.find((m) => m.destination === '/etc/hosts')!.options, ['rbind', 'ro', 'rprivate']);
    assert.equal(spec.linux!.sysctl!['net.core.somaxconn'], '1024');
    assert.ok(spec.mounts!.some((m) => m.destination === '/dev/shm' && m.options!.includes('size=1048576')));
    await assert.rejects(generateSpec(input({ hostConfig: { Sysctls: { 'vm.swappiness': '1' } } })), { message: 'sysctl "vm.swappiness" is not in a separate kernel namespace' });
    await assert.rejects(generateSpec(input({ hostConfig: { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } } })), /not allowed in host network namespace/);
    await assert.rejects(generateSpec(input({ hostConfig: { Init: true } })), /--init is not available/);
    await assert.rejects(generateSpec(input({ hostConfig: { Binds: ['data:/data'] } })), /volume mounts are not supported yet/);
    const vol = await generateSpec(input({ hostConfig: { Binds: ['data:/data:ro'] }, resolveVolume: (m) => `/var/lib/berth/volumes/${m.Name}/_data` }));
    assert.deepEqual(vol.spec.mounts!.find((m) => m.destination === '/data'), { destination: '/data', type: 'bind', source: '/var/lib/berth/volumes/data/_data', options: ['rbind', 'ro', 'rprivate'] });
  });
  it('a custom seccomp profile and user-mounted /dev', async () => {
    const profile = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    const { spec } = await generateSpec(input({ hostConfig: { SecurityOpt: [`seccomp=${profile}`], Tmpfs: { '/dev': '' } } }));
    assert.deepEqual(spec.linux!.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    assert.deepEqual(spec.mounts!.filter((m) => m.destination.startsWith('/dev')).map((m) => m.destination), ['/dev']);
    await assert.rejects(generateSpec(input({ hostConfig: { SecurityOpt: ['seccomp={bad'] } })), /Decoding seccomp profile failed/);
  });
});
