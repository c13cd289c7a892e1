// A networked container's /etc/hosts and /etc/resolv.conf against what a real dockerd writes for the
// same `docker run` flags (test/helpers/dockerd.ts, a user network it makes): the same text, save
// the nameserver of a user network (berth's embedded server listens on the network's gateway,
// dockerd's on 127.0.0.11 inside the container).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { containerHosts, type HostsRecord } from '../../core/container/hosts-file.ts';
import { containerResolvConf, type ResolvConfRecord } from '../../core/network/dns/container-resolv-conf.ts';
import { onlySystemdResolvedStub } from '../../core/container/resolv-conf.ts';
import { EMBEDDED_DNS_ADDRESS } from '../../core/network/dns/embedded-resolv-conf.ts';
import { dockerdMissing, importBusybox, startDockerd, type TestDockerd } from '../helpers/dockerd.ts';

const DEFAULTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';
const HOST_RESOLV = 'search corp.example\nnameserver 127.0.0.53\nnameserver 192.0.2.53\noptions edns0\n';

type Rec = HostsRecord & ResolvConfRecord;
function record(config: Rec['Config'], hostConfig: Rec['HostConfig']): Rec {
  return { Config: config, HostConfig: hostConfig };
}

describe('texts from the record and the network facts', () => {
  it('a user network: the address line after --add-host, the gateway as the only nameserver', () => {
    const rec = record({ Hostname: 'web', Domainname: 'example.org' }, { NetworkMode: 'n1', ExtraHosts: ['db:10.9.9.9', 'gw:host-gateway'] });
    assert.equal(containerHosts(rec, { addresses: ['10.250.1.2'], hostGateway: '172.17.0.1' }),
      `${DEFAULTS}10.9.9.9\tdb\n172.17.0.1\tgw\n10.250.1.2\tweb.example.org web\n`);
    const resolv = containerResolvConf(rec, { hostResolvConf: HOST_RESOLV, embeddedDns: '10.250.1.1' });
    assert.equal(resolv.text, 'search corp.example\nnameserver 10.250.1.1\noptions edns0 ndots:0\n');
    // The host's loopback resolver is an upstream: the server forwards from the host's namespace.
    assert.deepEqual(resolv.upstreams, ['127.0.0.53', '192.0.2.53']);
    assert.equal(resolv.ndotsSet, false);
  });

  it('one address line per network joined; a dotted hostname gives its short name too', () => {
    const rec = record({ Hostname: 'api.svc' }, { NetworkMode: 'n1' });
    assert.equal(containerHosts(rec, { addresses: ['10.250.1.2', '10.250.2.2'] }), `${DEFAULTS}10.250.1.2\tapi.svc api\n10.250.2.2\tapi.svc api\n`);
  });

  it('--dns becomes the upstreams, an explicit ndots is kept and marked', () => {
    const rec = record({ Hostname: 'h' }, { NetworkMode: 'n1', Dns: ['9.9.9.9'], DnsOptions: ['ndots:2'] });
    const resolv = containerResolvConf(rec, { hostResolvConf: HOST_RESOLV, embeddedDns: '10.250.1.1' });
    assert.equal(resolv.text, 'search corp.example\nnameserver 10.250.1.1\noptions ndots:2\n');
    assert.deepEqual(resolv.upstreams, ['9.9.9.9']);
    assert.equal(resolv.ndotsSet, true);
  });

  it('the default bridge and none: no embedded server, the host\'s file without loopback servers', () => {
    for (const NetworkMode of ['bridge', 'none', 'default']) {
      const rec = record({ Hostname: 'h' }, { NetworkMode });
      const resolv = containerResolvConf(rec, { hostResolvConf: HOST_RESOLV });
      assert.equal(resolv.text, 'search corp.example\nnameserver 192.0.2.53\noptions edns0\n');
      assert.deepEqual(resolv.upstreams, []);
    }
    assert.equal(containerHosts(record({ Hostname: 'h' }, { NetworkMode: 'none' })), DEFAULTS);
  });

  it('host: the host\'s files, or dockerd\'s own hosts with --add-host (addresses and an embedded server given by mistake are ignored)', () => {
    const rec = record({ Hostname: 'h' }, { NetworkMode: 'host' });
    assert.equal(containerHosts(rec, { addresses: ['10.250.1.2'], hostHosts: '127.0.0.1 localhost myhost' }), '127.0.0.1 localhost myhost\n');
    assert.equal(containerHosts(rec, {}), DEFAULTS);
    const extra = record({ Hostname: 'h' }, { NetworkMode: 'host', ExtraHosts: ['x:10.0.0.9'] });
    assert.equal(containerHosts(extra, { addresses: ['10.250.1.2'], hostHosts: '127.0.0.1 localhost myhost' }), `${DEFAULTS}10.0.0.9\tx\n`);
    assert.equal(containerResolvConf(rec, { hostResolvConf: HOST_RESOLV, embeddedDns: '10.250.1.1' }).text, HOST_RESOLV);
  });

  it('a host file naming only systemd-resolved\'s stub is read through to its upstream file, as dockerd does', () => {
    assert.equal(onlySystemdResolvedStub('# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n'), true);
    assert.equal(onlySystemdResolvedStub('nameserver 127.0.0.53\nnameserver 192.0.2.1\n'), false);
    assert.equal(onlySystemdResolvedStub('nameserver 127.0.0.1\n'), false);
  });

  it('host-gateway without a known gateway is dockerd\'s error, not a made-up address', () => {
    const rec = record({ Hostname: 'h' }, { NetworkMode: 'n1', ExtraHosts: ['gw:host-gateway'] });
    assert.throws(() => containerHosts(rec, { addresses: ['10.250.1.2'] }), /unable to derive the IP value for host-gateway/);
  });
});

const skip = dockerdMissing();

describe('the same texts dockerd writes', { skip: skip ?? false }, () => {
  let d: TestDockerd;
  const network = `q4etc${process.pid}`;
  const subnet = '10.250.199.0/24';
  const hostResolvConf = readFileSync('/etc/resolv.conf', 'utf8');
  let hostHosts = '';

  before(async () => {
    d = await startDockerd();
    await importBusybox(d, 'bb:etc');
    await d.dockerOk(['network', 'create', '--subnet', subnet, network]);
    hostHosts = readFileSync('/etc/hosts', 'utf8');
  });
  after(async () => {
    if (!d) return;
    await d.docker(['network', 'rm', network]);
    await d.cleanup();
  });

  /** dockerd's two files for `docker run ARGS`, and the container's address on the network. */
  async function dockerFiles(args: string[]): Promise<{ hosts: string; resolv: string; ip: string }> {
    const out = await d.dockerOk(['run', '--rm', ...args, 'bb:etc', 'sh', '-c', 'cat /etc/hosts; echo =====; cat /etc/resolv.conf']);
    const [hosts, resolv] = out.split('=====\n') as [string, string];
    const ip = /^(10\.250\.199\.\d+)\t/m.exec(hosts)?.[1] ?? '';
    return { hosts, resolv, ip };
  }

  it('a user network with --hostname, --domainname, --add-host and --dns-search', async () => {
    const docker = await dockerFiles(['--network', network, '--hostname', 'web', '--domainname', 'example.org', '--add-host', 'db:10.9.9.9', '--dns-search', 'a.example']);
    assert.match(docker.ip, /^10\.250\.199\./);
    const rec = record({ Hostname: 'web', Domainname: 'example.org' }, { NetworkMode: network, ExtraHosts: ['db:10.9.9.9'], DnsSearch: ['a.example'] });
    assert.equal(containerHosts(rec, { addresses: [docker.ip] }), docker.hosts);
    const berth = containerResolvConf(rec, { hostResolvConf, embeddedDns: '10.250.199.1' });
    assert.equal(berth.text, docker.resolv.replace(`nameserver ${EMBEDDED_DNS_ADDRESS}`, 'nameserver 10.250.199.1'));
  });

  it('a user network with --dns and --dns-option, and the default hostname', async () => {
    const docker = await dockerFiles(['--network', network, '--dns', '192.0.2.99', '--dns-option', 'ndots:2']);
    const hostname = docker.hosts.trimEnd().split('\n').at(-1)!.split('\t')[1]!;
    const rec = record({ Hostname: hostname }, { NetworkMode: network, Dns: ['192.0.2.99'], DnsOptions: ['ndots:2'] });
    assert.equal(containerHosts(rec, { addresses: [docker.ip] }), docker.hosts);
    const berth = containerResolvConf(rec, { hostResolvConf, embeddedDns: '10.250.199.1' });
    assert.equal(berth.text, docker.resolv.replace(`nameserver ${EMBEDDED_DNS_ADDRESS}`, 'nameserver 10.250.199.1'));
    assert.deepEqual(berth.upstreams, ['192.0.2.99']);
  });

  it('--network none and --network host', async () => {
    const none = await dockerFiles(['--network', 'none', '--hostname', 'h', '--add-host', 'x:10.0.0.9']);
    const noneRec = record({ Hostname: 'h' }, { NetworkMode: 'none', ExtraHosts: ['x:10.0.0.9'] });
    assert.equal(containerHosts(noneRec), none.hosts);
    assert.equal(containerResolvConf(noneRec, { hostResolvConf }).text, none.resolv);
    for (const extra of [[], ['x:10.0.0.9']]) {
      const host = await dockerFiles(['--network', 'host', ...extra.flatMap((e) => ['--add-host', e])]);
      const hostRec = record({}, { NetworkMode: 'host', ExtraHosts: extra });
      assert.equal(containerHosts(hostRec, { hostHosts }), host.hosts);
      assert.equal(containerResolvConf(hostRec, { hostResolvConf }).text, host.resolv);
    }
  });
});
