// Container helpers against what a real dockerd 20.10 wrote or answered (outputs recorded with
// the docker CLI against test/helpers/dockerd.ts): /etc/hosts, resolv.conf, HostConfig errors and
// defaults, the ps Command; and the docker CLI's --env-file rules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateHosts, parseExtraHosts } from '../../core/container/hosts-file.ts';
import { generateResolvConf } from '../../core/container/resolv-conf.ts';
import { parseEnvFile } from '../../core/container/env-file.ts';
import { adaptHostConfig, validateHostConfig } from '../../core/container/host-config.ts';
import { containerCommandString, psCommandColumn } from '../../core/container/command.ts';
import type { HostConfig } from '../../core/engine/containers/types.ts';

const DEFAULTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

describe('/etc/hosts', () => {
  it('defaults, --add-host records, then the container\'s addresses (dockerd 20.10)', () => {
    assert.equal(generateHosts('h', ['foo:1.2.3.4', 'bar:::1'], []), `${DEFAULTS}1.2.3.4\tfoo\n::1\tbar\n`);
    assert.equal(generateHosts('abc', null, ['172.17.0.2']), `${DEFAULTS}172.17.0.2\tabc\n`);
    assert.equal(generateHosts('web', null, ['10.0.0.5'], { domainname: 'example.com' }), `${DEFAULTS}10.0.0.5\tweb.example.com web\n`);
    assert.equal(generateHosts('h', ['gw:host-gateway'], [], { hostGateway: '172.17.0.1' }), `${DEFAULTS}172.17.0.1\tgw\n`);
    assert.equal(generateHosts('vm', ['x=5.6.7.8'], [], { hostHosts: '127.0.0.1 localhost\n127.0.0.1 vm' }), '127.0.0.1 localhost\n127.0.0.1 vm\n5.6.7.8\tx\n');
    assert.deepEqual(parseExtraHosts(['v6:[::2]']), [['::2', 'v6']]);
    assert.throws(() => parseExtraHosts(['nohost']), /invalid extra host/);
  });
});

describe('/etc/resolv.conf', () => {
  it('the host\'s file without localhost nameservers; Google\'s when none is left', () => {
    assert.equal(generateResolvConf('nameserver 10.255.255.53\n', null, null, null), 'nameserver 10.255.255.53\n');
    assert.equal(generateResolvConf('nameserver 127.0.0.53\noptions edns0\n', [], [], []), 'options edns0\n\nnameserver 8.8.8.8\nnameserver 8.8.4.4');
    assert.equal(generateResolvConf('search lan\nnameserver 127.0.0.1\nnameserver 1.1.1.1\n', null, null, null), 'search lan\nnameserver 1.1.1.1\n');
    assert.equal(generateResolvConf('nameserver ::1\nnameserver fd00::1\nnameserver 9.9.9.9\n', null, null, null), 'nameserver 9.9.9.9\n');
    assert.equal(generateResolvConf('nameserver 127.0.0.53\n', null, null, null, { hostNetwork: true }), 'nameserver 127.0.0.53\n');
  });
  it('--dns, --dns-search, --dns-option build a new file (dockerd 20.10)', () => {
    assert.equal(generateResolvConf('nameserver 10.255.255.53\n', ['9.9.9.9'], ['a.b'], ['ndots:2']), 'search a.b\nnameserver 9.9.9.9\noptions ndots:2\n');
    assert.equal(generateResolvConf('search lan\nnameserver 10.0.0.1\noptions rotate\n', null, ['x.y'], null), 'search x.y\nnameserver 10.0.0.1\noptions rotate\n');
    assert.equal(generateResolvConf('nameserver 10.0.0.1\n', null, ['.'], null), 'nameserver 10.0.0.1\n');
  });
});

describe('--env-file', () => {
  it('the docker CLI\'s rules', () => {
    const text = '\uFEFF# comment\n  A=1\nB= spaced value \r\n\nC\nD\n  # indented comment\nE=\n';
    assert.deepEqual(parseEnvFile(text, (n) => (n === 'C' ? 'from-env' : undefined)), ['A=1', 'B= spaced value ', 'C=from-env', 'E=']);
    assert.throws(() => parseEnvFile('MY VAR=1\n'), { message: "poorly formatted environment: variable 'MY VAR' contains whitespaces" });
    assert.throws(() => parseEnvFile('=x\n'), { message: "poorly formatted environment: no variable name on line '=x'" });
  });
});

describe('HostConfig', () => {
  const rejects = (hc: HostConfig, message: string) => assert.throws(() => validateHostConfig(hc, { ncpu: 2 }), { message });
  it('refuses what dockerd refuses, in its words', () => {
    rejects({ RestartPolicy: { Name: 'bogus' } }, "invalid restart policy 'bogus'");
    rejects({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } }, 'maximum retry count cannot be negative');
    rejects({ RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } }, "maximum retry count cannot be used with restart policy 'always'");
    rejects({ RestartPolicy: { Name: 'always' }, AutoRemove: true }, "can't create 'AutoRemove' container with restart policy");
    rejects({ Memory: 1024 * 1024 }, 'Minimum memory limit allowed is 6MB');
    rejects({ MemorySwap: 100 * 2 ** 20 }, 'You should always set the Memory limit when using Memoryswap limit, see usage');
    rejects({ Memory: 100 * 2 ** 20, MemorySwap: 50 * 2 ** 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
    rejects({ NanoCpus: 5e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    rejects({ NanoCpus: 1e9, CpuPeriod: 100000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
    rejects({ CpuPeriod: 100 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    rejects({ CapAdd: ['FOO'] }, 'invalid CapAdd: unknown capability: "CAP_FOO"');
    rejects({ SecurityOpt: ['foo=bar'] }, 'invalid --security-opt 2: "foo=bar"');
    rejects({ OomScoreAdj: 5000 }, 'Invalid value 5000, range for oom score adj is [-1000, 1000]');
    rejects({ Binds: ['relative:/x:bogus'] }, 'invalid mode: bogus');
    rejects({ Binds: ['/a:/x', '/b:/x'] }, 'Duplicate mount point: /x');
    rejects({ MemorySwappiness: 200 }, 'Invalid value: 200, valid memory swappiness range is 0-100');
    rejects({ ShmSize: -1 }, 'SHM size can not be less than 0');
    rejects({ IpcMode: 'bogus' }, 'invalid IPC mode: bogus');
    assert.doesNotThrow(() => validateHostConfig({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, Memory: 64 * 2 ** 20, NanoCpus: 1.5e9, Tmpfs: { '/x': 'size=1m' } }, { ncpu: 2 }));
  });
  it('stores dockerd\'s defaults (the fixtures\' inspect HostConfig)', () => {
    const docker = JSON.parse(readFileSync(new URL('../fixtures/runtime-spec/default.inspect.json', import.meta.url), 'utf8')).HostConfig;
    // What the docker CLI sends for a plain `docker run -d IMAGE`.
    const a = adaptHostConfig({ NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, LogConfig: { Type: '', Config: {} } }, { cgroupVersion: 1 });
    for (const k of ['NetworkMode', 'RestartPolicy', 'LogConfig', 'IpcMode', 'CgroupnsMode', 'ShmSize', 'Runtime', 'ConsoleSize', 'ReadonlyPaths'] as const) {
      assert.deepEqual(a[k], docker[k], k);
    }
    assert.deepEqual(a.MaskedPaths, [...docker.MaskedPaths, '/sys/devices/virtual/powercap']);
    assert.equal(adaptHostConfig({ Memory: 64 * 2 ** 20 }, { cgroupVersion: 2 }).MemorySwap, 128 * 2 ** 20);
    assert.equal(adaptHostConfig({}, { cgroupVersion: 2 }).CgroupnsMode, 'private');
    assert.equal(adaptHostConfig({ Privileged: true }, { cgroupVersion: 1 }).MaskedPaths, undefined);
  });
});

describe('ps Command', () => {
  it('dockerd quotes arguments with spaces; the CLI quotes the whole and cuts it to 20', () => {
    const cmd = containerCommandString('sh', ['-c', "echo 'hi there' \"x\" a\\b"]);
    assert.equal(cmd, "sh -c 'echo 'hi there' \"x\" a\\b'");
    // `docker ps -a --no-trunc --format '{{.Command}}'` against dockerd 20.10 printed exactly this:
    assert.equal(psCommandColumn(cmd, true), '"sh -c \'echo \'hi there\' \\"x\\" a\\\\b\'"');
    assert.equal(psCommandColumn(containerCommandString('sleep', ['600'])), '"sleep 600"');
    assert.equal(psCommandColumn(containerCommandString('/docker-entrypoint.sh', ['nginx', '-g', 'daemon off;'])), '"/docker-entrypoint.…"');
    assert.equal(containerCommandString('true', []), 'true');
  });
});
