import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseIP, parseCIDR, cidrContains, formatIP, splitHostPort } from '../../core/config/ip.ts';
import { RegistryConfig, validateInsecureRegistry, validateMirror } from '../../core/config/registry-config.ts';
import {
  parseDaemonConfigFile, mergeDaemonConfig, normalizeDaemonHost, registryConfigOf, DEFAULT_DAEMON_CONFIG,
  type DaemonConfig,
} from '../../core/config/daemon-config.ts';
import { BerthError } from '../../core/errors.ts';

function fails(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected BerthError, got ${e}`);
    assert.equal(e.code, 'invalid_argument');
    assert.equal(e.message, message);
    return true;
  });
}

describe('ip', () => {
  test('parseIP', () => {
    assert.deepEqual(parseIP('127.0.0.1'), new Uint8Array([127, 0, 0, 1]));
    assert.equal(parseIP('::1')?.length, 16);
    assert.equal(parseIP('::1')![15], 1);
    assert.deepEqual(parseIP('::ffff:10.1.2.3'), new Uint8Array([10, 1, 2, 3]));
    assert.equal(formatIP(parseIP('2001:db8:0:0:1::1')!), '2001:db8::1:0:0:1');
    assert.equal(formatIP(parseIP('fe80::')!), 'fe80::');
    for (const bad of ['256.0.0.1', '1.2.3', '01.2.3.4', 'localhost', '1::2::3', '::g', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '']) {
      assert.equal(parseIP(bad), undefined, bad);
    }
  });
  test('parseCIDR and cidrContains', () => {
    const net = parseCIDR('10.1.2.3/8')!;
    assert.equal(net.text, '10.0.0.0/8');
    assert.equal(cidrContains(net, parseIP('10.255.0.1')!), true);
    assert.equal(cidrContains(net, parseIP('11.0.0.1')!), false);
    assert.equal(cidrContains(net, parseIP('::ffff:10.0.0.1')!), true);
    assert.equal(cidrContains(net, parseIP('::1')!), false);
    const v6 = parseCIDR('fd00::/8')!;
    assert.equal(v6.text, 'fd00::/8');
    assert.equal(cidrContains(v6, parseIP('fdab::1')!), true);
    assert.equal(cidrContains(v6, parseIP('fe80::1')!), false);
    assert.equal(cidrContains(parseCIDR('192.168.1.0/23')!, parseIP('192.168.0.7')!), true);
    assert.equal(cidrContains(parseCIDR('192.168.1.0/24')!, parseIP('192.168.0.7')!), false);
    assert.equal(cidrContains(parseCIDR('0.0.0.0/0')!, parseIP('8.8.8.8')!), true);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '::/129', '10.0.0.0/-1', 'x/8', '10.0.0.0/08']) {
      assert.equal(parseCIDR(bad), undefined, bad);
    }
  });
  test('splitHostPort', () => {
    assert.deepEqual(splitHostPort('127.0.0.1:5000'), { host: '127.0.0.1', port: '5000' });
    assert.deepEqual(splitHostPort('[::1]:5000'), { host: '::1', port: '5000' });
    assert.deepEqual(splitHostPort('[::1]'), { host: '::1' });
    assert.deepEqual(splitHostPort('::1'), { host: '::1' });
    assert.deepEqual(splitHostPort('reg.local'), { host: 'reg.local' });
  });
});

describe('RegistryConfig', () => {
  test('loopback is insecure by default, as in dockerd', () => {
    const r = new RegistryConfig();
    for (const h of ['127.0.0.1:5000', '127.9.8.7', 'localhost:5000', 'localhost', '[::1]:5000', '[::1]', 'LOCALHOST:1']) {
      assert.equal(r.isInsecure(h), true, h);
      assert.equal(r.scheme(h), 'http', h);
    }
    for (const h of ['docker.io', 'registry-1.docker.io', 'ghcr.io', '10.0.0.1:5000', 'reg.local:5000', '[2001:db8::1]:5000', '128.0.0.1']) {
      assert.equal(r.isInsecure(h), false, h);
      assert.equal(r.scheme(h), 'https', h);
    }
  });
  test('listed hosts match exactly, CIDRs match IP literals', () => {
    const r = new RegistryConfig({ insecure: ['reg.local:5000', 'plain.example', '10.0.0.0/8', 'fd00::/8', 'http://old.example:80'] });
    assert.equal(r.isInsecure('reg.local:5000'), true);
    assert.equal(r.isInsecure('reg.local'), false);
    assert.equal(r.isInsecure('reg.local:5001'), false);
    assert.equal(r.isInsecure('plain.example'), true);
    assert.equal(r.isInsecure('10.20.30.40:5000'), true);
    assert.equal(r.isInsecure('[fd12::1]:443'), true);
    assert.equal(r.isInsecure('11.0.0.1:5000'), false);
    assert.equal(r.isInsecure('old.example:80'), true);
    assert.deepEqual(r.insecure, ['reg.local:5000', 'plain.example', '10.0.0.0/8', 'fd00::/8', 'old.example:80']);
    assert.deepEqual(r.warnings, [
      "insecure registry http://old.example:80 should not contain 'http://' and 'http://' has been removed from the insecure registry config",
    ]);
  });
  test('Docker Hub is never insecure, even when listed', () => {
    const r = new RegistryConfig({ insecure: ['docker.io', 'index.docker.io'] });
    assert.equal(r.isInsecure('docker.io'), false);
    assert.equal(r.isInsecure('registry-1.docker.io'), false);
  });
  test('a name is insecure when it resolves into loopback or a listed CIDR, as dockerd looks it up', async () => {
    const hosts: Record<string, string[]> = {
      myhost: ['127.0.1.1'], both: ['10.9.9.9', '::1'], lan: ['10.1.2.3'], far: ['93.184.216.34'], 'registry-1.docker.io': ['127.0.0.1'],
    };
    const asked: string[] = [];
    const resolve = async (name: string) => {
      asked.push(name);
      const a = hosts[name];
      if (!a) throw new Error(`lookup ${name}: no such host`);
      return a;
    };
    const r = new RegistryConfig({ insecure: ['10.0.0.0/8'] });
    for (const h of ['myhost:5000', 'both', 'lan:443']) assert.equal(await r.schemeResolved(h, resolve), 'http', h);
    for (const h of ['far:5000', 'unknown:5000', 'registry-1.docker.io', 'docker.io']) assert.equal(await r.schemeResolved(h, resolve), 'https', h);
    assert.equal(await new RegistryConfig().schemeResolved('lan:443', resolve), 'https');
    // Without a resolver (a browser), only IP literals and localhost count.
    assert.equal(await r.schemeResolved('myhost:5000'), 'https');
    // Docker Hub and IP literals are never looked up.
    assert.ok(!asked.includes('registry-1.docker.io') && !asked.some((a) => /^\d/.test(a)), asked.join());
    assert.equal(await r.schemeResolved('127.0.0.1:5000', resolve), 'http');
  });
  test('mirrors only for Docker Hub, normalized with a trailing slash', () => {
    const r = new RegistryConfig({ mirrors: ['https://mirror.example', 'http://127.0.0.1:5001/'] });
    assert.deepEqual(r.mirrorsFor('docker.io'), ['https://mirror.example/', 'http://127.0.0.1:5001/']);
    assert.deepEqual(r.mirrorsFor('127.0.0.1:5000'), []);
    assert.deepEqual(new RegistryConfig().mirrorsFor('docker.io'), []);
  });
  test('endpoints in dockerd order', () => {
    const r = new RegistryConfig();
    assert.deepEqual(r.endpoints('ghcr.io'), [{ url: 'https://ghcr.io', insecureSkipVerify: false }]);
    assert.deepEqual(r.endpoints('127.0.0.1:5000'), [
      { url: 'https://127.0.0.1:5000', insecureSkipVerify: true },
      { url: 'http://127.0.0.1:5000', insecureSkipVerify: false },
    ]);
  });
  test('invalid entries get dockerd\'s messages', () => {
    fails(() => new RegistryConfig({ insecure: ['foo://x'] }), "insecure registry foo://x should not contain '://'");
    fails(() => new RegistryConfig({ insecure: ['a b'] }), 'insecure registry a b is not valid: invalid host "a b"');
    fails(() => new RegistryConfig({ insecure: ['-reg'] }), 'invalid index name (-reg). Cannot begin or end with a hyphen.');
    fails(() => new RegistryConfig({ insecure: ['reg:99999'] }), 'insecure registry reg:99999 is not valid: invalid port "99999"');
    fails(() => new RegistryConfig({ mirrors: ['ftp://x'] }), 'invalid mirror: unsupported scheme "ftp" in "ftp://x"');
    fails(() => new RegistryConfig({ mirrors: ['not a url'] }), 'invalid mirror: "not a url" is not a valid URI');
    fails(() => new RegistryConfig({ mirrors: ['https://m.example/?a=b'] }), 'invalid mirror: query or fragment at end of the URI "https://m.example/?a=b"');
    fails(() => new RegistryConfig({ mirrors: ['https://u:secret@m.example'] }),
      'invalid mirror: username/password not allowed in URI "https://u:xxxxx@m.example/"');
    assert.equal(validateMirror('https://m.example///'), 'https://m.example/');
    assert.equal(validateInsecureRegistry('[::1]:5000').value, '[::1]:5000');
    assert.equal(validateInsecureRegistry('192.168.0.1/16').value, '192.168.0.0/16');
  });
});

describe('daemon configuration', () => {
  test('defaults', () => {
    const { config, warnings } = mergeDaemonConfig({}, {});
    assert.deepEqual(config, { ...DEFAULT_DAEMON_CONFIG });
    assert.deepEqual(warnings, []);
    assert.equal(config.dataRoot, '/var/lib/berth');
    assert.deepEqual(config.hosts, ['unix:///run/berth/berth.sock']);
  });
  test('file and flags merge', () => {
    const file = parseDaemonConfigFile(JSON.stringify({
      'insecure-registries': ['reg.local:5000', 'https://x.example'], 'registry-mirrors': ['https://m.example'],
      'log-level': 'warning', hosts: ['unix:///tmp/b.sock', 'tcp://0.0.0.0'], debug: true,
    }));
    const { config, warnings } = mergeDaemonConfig(file, { 'data-root': '/tmp/root', 'exec-root': '/tmp/exec', pidfile: '/tmp/p' });
    const want: DaemonConfig = {
      dataRoot: '/tmp/root', execRoot: '/tmp/exec', pidfile: '/tmp/p', debug: true, logLevel: 'warn',
      hosts: ['unix:///tmp/b.sock', 'tcp://0.0.0.0:2375'],
      insecureRegistries: ['reg.local:5000', 'x.example'], registryMirrors: ['https://m.example/'], bridge: 'berth0', bip: '',
    };
    assert.deepEqual(config, want);
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.includes("should not contain 'https://'"));
    assert.equal(registryConfigOf(config).isInsecure('reg.local:5000'), true);
  });
  test('other defaults (a host with its own paths)', () => {
    const defaults: DaemonConfig = { ...DEFAULT_DAEMON_CONFIG, hosts: ['unix:///tmp/t/s.sock'], dataRoot: '/tmp/t' };
    const { config } = mergeDaemonConfig({}, { hosts: ['unix://'] }, { defaults });
    assert.deepEqual(config.hosts, ['unix:///tmp/t/s.sock']);
    assert.equal(config.dataRoot, '/tmp/t');
  });
  test('unknown keys: dockerd\'s message', () => {
    fails(() => parseDaemonConfigFile('{"foo":1,"bar":2,"data-root":"/x"}', '/etc/berth/daemon.json'),
      "unable to configure the daemon with file /etc/berth/daemon.json: the following directives don't match any configuration option: bar, foo");
  });
  test('a setting both as a flag and in the file: dockerd\'s message', () => {
    const file = parseDaemonConfigFile(JSON.stringify({
      'insecure-registries': ['a:5000'], debug: true, 'data-root': '/tmp/dd/r', hosts: ['unix:///tmp/dd/s.sock'],
    }), 'dd/b.json');
    fails(() => mergeDaemonConfig(file, {
      debug: true, 'insecure-registries': ['b:5000', 'c'], 'data-root': '/tmp/dd/q', hosts: ['unix:///tmp/dd/t.sock'],
    }, { path: 'dd/b.json' }),
    'unable to configure the daemon with file dd/b.json: the following directives are specified both as a flag and in the configuration file: ' +
      'data-root: (from flag: /tmp/dd/q, from file: /tmp/dd/r), debug: (from flag: true, from file: true), ' +
      'hosts: (from flag: [unix:///tmp/dd/t.sock], from file: [unix:///tmp/dd/s.sock]), ' +
      'insecure-registries: (from flag: [b:5000 c], from file: [a:5000])');
    // The conflict is reported before the file's value types are checked, as in dockerd.
    fails(() => mergeDaemonConfig({ 'data-root': 5 }, { 'data-root': '/tmp/dd/r' }, { path: 'dd/f.json' }),
      'unable to configure the daemon with file dd/f.json: the following directives are specified both as a flag and in the configuration file: data-root: (from flag: /tmp/dd/r, from file: 5)');
  });
  test('bad JSON and bad types', () => {
    assert.throws(() => parseDaemonConfigFile('{"data-root":"/r",}', 'x.json'),
      (e: unknown) => e instanceof BerthError && e.message.startsWith('unable to configure the daemon with file x.json: '));
    fails(() => parseDaemonConfigFile('[1]', 'k.json'),
      'unable to configure the daemon with file k.json: json: cannot unmarshal array into Go value of type map[string]interface {}');
    assert.deepEqual(parseDaemonConfigFile('null'), {});
    assert.deepEqual(parseDaemonConfigFile('\uFEFF{"debug":false}'), { debug: false });
    const bad = (file: Record<string, unknown>, message: string) =>
      fails(() => mergeDaemonConfig(parseDaemonConfigFile(JSON.stringify(file), 'h.json'), {}, { path: 'h.json' }),
        `unable to configure the daemon with file h.json: ${message}`);
    bad({ debug: 'yes' }, 'json: cannot unmarshal string into Go struct field Config.debug of type bool');
    bad({ 'insecure-registries': 'a' }, 'json: cannot unmarshal string into Go struct field Config.insecure-registries of type []string');
    bad({ 'registry-mirrors': [1] }, 'json: cannot unmarshal number into Go struct field Config.registry-mirrors of type string');
    bad({ 'data-root': ['x'] }, 'json: cannot unmarshal array into Go struct field Config.data-root of type string');
    // null leaves the default, as Go's decoder does.
    assert.equal(mergeDaemonConfig({ 'data-root': null }, {}).config.dataRoot, '/var/lib/berth');
  });
  test('bad values', () => {
    fails(() => mergeDaemonConfig({ 'log-level': 'loud' }, {}), 'unable to parse logging level: loud');
    fails(() => mergeDaemonConfig({}, { 'registry-mirrors': ['ftp://x'] }), 'invalid mirror: unsupported scheme "ftp" in "ftp://x"');
    fails(() => mergeDaemonConfig({ 'insecure-registries': ['foo://x'] }, {}), "insecure registry foo://x should not contain '://'");
    fails(() => mergeDaemonConfig({ 'data-root': '' }, {}), 'data-root must not be empty');
    fails(() => mergeDaemonConfig({ hosts: ['udp://x'] }, {}), 'invalid bind address format: udp://x');
    fails(() => mergeDaemonConfig({}, { 'log-driver': 'x' }), 'unknown daemon options: log-driver');
    fails(() => mergeDaemonConfig({}, { debug: 'true' }), 'invalid value for flag debug: json: cannot unmarshal string into Go struct field Config.debug of type bool');
  });
  test('normalizeDaemonHost', () => {
    assert.equal(normalizeDaemonHost(''), 'unix:///run/berth/berth.sock');
    assert.equal(normalizeDaemonHost('unix://'), 'unix:///run/berth/berth.sock');
    assert.equal(normalizeDaemonHost('unix:///tmp/x.sock'), 'unix:///tmp/x.sock');
    assert.equal(normalizeDaemonHost('tcp://'), 'tcp://localhost:2375');
    assert.equal(normalizeDaemonHost('tcp://:2380'), 'tcp://localhost:2380');
    assert.equal(normalizeDaemonHost('127.0.0.1:2376'), 'tcp://127.0.0.1:2376');
    assert.equal(normalizeDaemonHost('tcp://[::1]:1'), 'tcp://[::1]:1');
    assert.equal(normalizeDaemonHost('fd://'), 'fd://');
    fails(() => normalizeDaemonHost('/var/run/x.sock'), 'invalid bind address format: /var/run/x.sock');
    fails(() => normalizeDaemonHost('tcp://h:99999'), 'invalid bind address format: tcp://h:99999');
  });
});
