// The network service's model: dockerd's network JSON, lookups, filters, IPAM use and error texts,
// over an in-memory store and a host that records what it was asked to make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryMetadataStore } from '../../core/metadata/memory-kv.ts';
import { EventBus } from '../../core/engine/events.ts';
import { PredefinedNetworks } from '../../core/engine/networks/predefined.ts';
import { NetworkService } from '../../core/engine/networks/service.ts';
import type { BridgeNetworkSpec, NetworkHost } from '../../core/engine/networks/host.ts';
import { BerthError } from '../../core/errors.ts';
import { macAddressOf } from '../../core/engine/networks/network.ts';

interface RecordingHost extends NetworkHost {
  bridges: Map<string, BridgeNetworkSpec>;
  isolated: string[][];
  dns: Set<string>;
  failCreate?: boolean;
}

function recordingHost(routes: string[] = []): RecordingHost {
  const h: RecordingHost = {
    bridges: new Map(), isolated: [], dns: new Set(),
    hostRoutes: () => routes,
    createNetwork: async (n) => {
      if (h.failCreate) throw new Error('netlink: operation not permitted');
      h.bridges.set(n.bridge, n);
    },
    removeNetwork: async (n) => { h.bridges.delete(n.bridge); },
    isolate: async (ns) => { h.isolated.push(ns.map((n) => n.bridge)); },
    join: async () => {},
    leave: async () => {},
    publishPorts: async () => ({ close: async () => {} }),
    startDns: async (n) => {
      h.dns.add(n.id);
      return { close: async () => { h.dns.delete(n.id); } };
    },
    rewriteFile: async () => {},
  };
  return h;
}

async function service(opts: { host?: NetworkHost | null; store?: MemoryMetadataStore; routes?: string[] } = {}) {
  const store = opts.store ?? new MemoryMetadataStore();
  const events = new EventBus();
  const predefined = await PredefinedNetworks.open(store, events);
  const host = opts.host === null ? undefined : (opts.host ?? recordingHost(opts.routes));
  const svc = new NetworkService({ store, events, predefined, ...(host ? { host } : {}) });
  await svc.load();
  await svc.bringUp();
  return { svc, store, events, host: host as RecordingHost | undefined };
}

function rejects(p: Promise<unknown> | (() => unknown), status: number, message: string | RegExp) {
  const run = typeof p === 'function' ? (async () => p())() : p;
  return assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof BerthError, String(e));
    assert.equal(e.status, status);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('the predefined networks: bridge on berth0 with 172.17.0.0/16, host and none, as dockerd shows them', async () => {
  const { svc, host } = await service();
  const names = svc.list(new Map()).map((n) => [n.Name, n.Driver]);
  assert.deepEqual(names, [['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]);
  const bridge = svc.inspect('bridge');
  assert.deepEqual(bridge.IPAM, { Driver: 'default', Options: null, Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] });
  assert.equal(bridge.Options['com.docker.network.bridge.name'], 'berth0');
  assert.deepEqual(Object.keys(bridge), ['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable',
    'Ingress', 'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels']);
  assert.deepEqual(svc.inspect('none').IPAM, { Driver: 'default', Options: null, Config: [] });
  assert.equal(host!.bridges.get('berth0')?.gateway, '172.17.0.1');
  assert.deepEqual(host!.isolated.at(-1), ['berth0']);
  // The default bridge has no embedded DNS server.
  assert.equal(host!.dns.size, 0);
});

test('the default bridge avoids a subnet the host routes', async () => {
  const { svc } = await service({ routes: ['172.17.0.0/16', '172.18.5.0/24'] });
  assert.equal(svc.inspect('bridge').IPAM.Config[0]!.Subnet, '172.19.0.0/16');
});

test('create: dockerd JSON, bridge br-<id12>, DNS server, event; the record survives a new service', async () => {
  const { svc, store, events, host } = await service();
  const seen: string[] = [];
  events.subscribe((e) => seen.push(`${e.Type} ${e.Action} ${e.Actor.Attributes.name}`));
  const { Id, Warning } = await svc.create({
    Name: 'qn1', Driver: 'bridge', IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.55.0.0/16', IPRange: '10.55.1.0/24', Gateway: '10.55.0.254' }] },
    Options: { 'com.docker.network.driver.mtu': '1400' }, Labels: { a: 'b' },
  });
  assert.equal(Warning, '');
  const n = svc.inspect('qn1');
  assert.equal(n.Id, Id);
  assert.deepEqual(n.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: '10.55.0.0/16', IPRange: '10.55.1.0/24', Gateway: '10.55.0.254' }] });
  assert.deepEqual(n.Labels, { a: 'b' });
  assert.equal(n.Internal, false);
  assert.match(n.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  const spec = host!.bridges.get(`br-${Id.slice(0, 12)}`);
  assert.deepEqual(spec, { id: Id, name: 'qn1', bridge: `br-${Id.slice(0, 12)}`, subnet: '10.55.0.0/16', gateway: '10.55.0.254', internal: false, mtu: 1400 });
  assert.ok(host!.dns.has(Id));
  assert.deepEqual(host!.isolated.at(-1)!.sort(), ['berth0', `br-${Id.slice(0, 12)}`].sort());
  assert.deepEqual(seen, ['network create qn1']);
  // Without a subnet: the next default pool subnet after the bridge's.
  await svc.create({ Name: 'auto', Internal: true });
  assert.deepEqual(svc.inspect('auto').IPAM.Config, [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }]);
  assert.equal(svc.inspect('auto').Internal, true);

  const again = await service({ store });
  assert.deepEqual(again.svc.inspect(Id), { ...n, Containers: {} });
  assert.equal(again.svc.inspect('bridge').Id, svc.inspect('bridge').Id);
});

test('create refuses what dockerd refuses, with its texts and statuses, and leaves nothing behind', async () => {
  const { svc, host } = await service();
  await svc.create({ Name: 'one', IPAM: { Config: [{ Subnet: '10.9.0.0/16' }] } });
  await rejects(svc.create({ Name: 'bridge' }), 403, 'operation is not permitted on predefined bridge network');
  await rejects(svc.create({ Name: 'one' }), 409, 'network with name one already exists');
  await rejects(svc.create({ Name: 'x', Driver: 'foo' }), 404, 'plugin "foo" not found');
  await rejects(svc.create({ Name: 'x', IPAM: { Config: [{ Subnet: '10.9.0.0/24' }] } }), 403, /Pool overlaps with other one on this address space/);
  await rejects(svc.create({ Name: 'x', IPAM: { Config: [{ Subnet: '10.10.0.1/16' }] } }), 400, 'invalid network config:\ninvalid subnet 10.10.0.1/16: it should be 10.10.0.0/16');
  await rejects(svc.create({ Name: 'x', Options: { 'com.docker.network.driver.mtu': 'abc' } }), 400,
    'failed to parse com.docker.network.driver.mtu value: abc (strconv.Atoi: parsing "abc": invalid syntax)');
  await rejects(svc.create({ Name: '' }), 400, /Name must be a non-empty string/);
  host!.failCreate = true;
  await rejects(svc.create({ Name: 'broken' }), 500, 'failed to create network broken: netlink: operation not permitted');
  assert.deepEqual(svc.list(new Map()).map((n) => n.Name), ['bridge', 'one', 'host', 'none']);
  assert.equal(host!.bridges.size, 2);
});

test('lookup: full ID, then name, then a unique ID prefix; not found and ambiguous as dockerd', async () => {
  const { svc } = await service();
  const a = (await svc.create({ Name: 'alpha' })).Id;
  assert.equal(svc.inspect(a).Name, 'alpha');
  assert.equal(svc.inspect('alpha').Id, a);
  assert.equal(svc.inspect(a.slice(0, 12)).Id, a);
  // A network named like another's ID prefix is found by its name first.
  await svc.create({ Name: a.slice(0, 5) });
  assert.equal(svc.inspect(a.slice(0, 5)).Name, a.slice(0, 5));
  await rejects(() => svc.inspect('nosuch'), 404, 'network nosuch not found');
});

test('list filters: type, driver, name and id (regular expressions), label, dangling; unknown filter refused', async () => {
  const { svc } = await service();
  const id = (await svc.create({ Name: 'web-front', Labels: { tier: 'front' } })).Id;
  await svc.create({ Name: 'db', Labels: { tier: 'back' } });
  const names = (f: [string, string[]][]) => svc.list(new Map(f)).map((n) => n.Name);
  assert.deepEqual(names([['type', ['custom']]]), ['web-front', 'db']);
  assert.deepEqual(names([['type', ['builtin']]]), ['bridge', 'host', 'none']);
  assert.deepEqual(names([['driver', ['null']]]), ['none']);
  assert.deepEqual(names([['name', ['^web']]]), ['web-front']);
  assert.deepEqual(names([['id', [id.slice(0, 8)]]]), ['web-front']);
  assert.deepEqual(names([['label', ['tier=back']]]), ['db']);
  assert.deepEqual(names([['dangling', ['true']]]), ['web-front', 'db']);
  assert.throws(() => svc.list(new Map([['foo', ['bar']]])), /Invalid filter 'foo'/);
  assert.throws(() => svc.list(new Map([['type', ['odd']]])), /invalid filter: 'type'='odd'/);
});

test('remove: predefined refused, active endpoints refused, else bridge, DNS and record gone; prune keeps used ones', async () => {
  const { svc, store, host, events } = await service();
  const seen: string[] = [];
  events.subscribe((e) => seen.push(`${e.Action} ${e.Actor.Attributes.name ?? ''}`));
  await rejects(svc.remove('bridge'), 403, 'bridge is a pre-defined network and cannot be removed');
  await rejects(svc.remove('host'), 403, 'host is a pre-defined network and cannot be removed');
  await rejects(svc.remove('nosuch'), 404, 'network nosuch not found');
  const used = (await svc.create({ Name: 'used' })).Id;
  const unused = (await svc.create({ Name: 'unused', Labels: { keep: '1' } })).Id;
  await svc.create({ Name: 'spare' });
  svc.attached = (nid) => (nid === used
    ? [{ containerId: 'c'.repeat(64), containerName: 'web', endpoint: { EndpointID: 'e'.repeat(64), MacAddress: macAddressOf('172.18.0.2'), IPAddress: '172.18.0.2', IPPrefixLen: 16 } }]
    : []);
  assert.deepEqual(svc.inspect('used').Containers, {
    ['c'.repeat(64)]: { Name: 'web', EndpointID: 'e'.repeat(64), MacAddress: '02:42:ac:12:00:02', IPv4Address: '172.18.0.2/16', IPv6Address: '' },
  });
  await rejects(svc.remove('used'), 403, `error while removing network: network used id ${used} has active endpoints`);
  await svc.remove(unused.slice(0, 10));
  assert.ok(!host!.bridges.has(`br-${unused.slice(0, 12)}`));
  assert.ok(!host!.dns.has(unused));
  assert.equal(await store.get(`network/${unused}`), undefined);
  assert.deepEqual(await svc.prune(new Map([['label!', ['keep']]])), { NetworksDeleted: ['spare'] });
  assert.deepEqual(await svc.prune(new Map()), { NetworksDeleted: null });
  assert.deepEqual(svc.list(new Map()).map((n) => n.Name), ['bridge', 'used', 'host', 'none']);
  assert.deepEqual(seen.filter((s) => /^(create|destroy)/.test(s)), ['create used', 'create unused', 'create spare', 'destroy unused', 'destroy spare']);
});

test('a host without networks (the browser) lists the predefined ones and refuses user networks', async () => {
  const { svc } = await service({ host: null });
  assert.deepEqual(svc.list(new Map()).map((n) => n.Name), ['bridge', 'host', 'none']);
  await rejects(svc.create({ Name: 'mine' }), 400, /user-defined networks need the Linux host/);
});
