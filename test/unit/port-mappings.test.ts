import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../../core/errors.ts';
import { parsePortSpec, parseExpose } from '../../core/cli/run/ports.ts';
import { displayablePorts } from '../../core/cli/commands/ps.ts';
import { naturalLess } from '../../core/cli/natural-order.ts';
import type { PortBinding } from '../../core/engine/containers/types.ts';
import { ALL_PORTS_ALLOCATED, EPHEMERAL_PORTS, HostPortAllocator, type HostPortProbe } from '../../core/network/host-ports.ts';
import { matchesPortFilter, portFilterKeys } from '../../core/network/port-filters.ts';
import { portMappings, portsField, portSummaries, type PublishingConfig } from '../../core/network/port-mappings.ts';

const IP = '172.17.0.2';

/** What `berth run` sends for these `-p` and `--expose` values (the CLI's own parser). */
function runConfig(publish: string[], options: { expose?: string[]; all?: boolean } = {}): PublishingConfig {
  const bindings: Record<string, PortBinding[]> = {};
  const exposed: Record<string, object> = {};
  for (const p of publish) {
    for (const { port, binding } of parsePortSpec(p)) {
      (bindings[port] ??= []).push(binding);
      exposed[port] = {};
    }
  }
  for (const e of options.expose ?? []) for (const port of parseExpose(e)) exposed[port] = {};
  return { Config: { ExposedPorts: exposed }, HostConfig: { PortBindings: bindings, PublishAllPorts: options.all ?? false } };
}

function isError(message: string, status?: number) {
  return (e: unknown) => {
    assert.ok(e instanceof BerthError, String(e));
    assert.equal(e.message, message);
    if (status !== undefined) assert.equal(e.status, status);
    return true;
  };
}

/** A probe over a set of ports "some other process" listens on. */
function busyProbe(busy: number[]): HostPortProbe & { asked: number[] } {
  const asked: number[] = [];
  return { asked, isFree: async (_proto, _ip, port) => { asked.push(port); return !busy.includes(port); } };
}

test('-p forms become dockerd\'s mappings: default host IP 0.0.0.0, explicit and ephemeral host ports, udp', async () => {
  const alloc = new HostPortAllocator();
  const got = await portMappings(runConfig(['8080:80', '127.0.0.1:5353:53/udp', '443', '[::1]:9000:9000']), IP, alloc);
  assert.deepEqual(got, [
    { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerIp: IP, containerPort: 80 },
    { protocol: 'udp', hostIp: '127.0.0.1', hostPort: 5353, containerIp: IP, containerPort: 53 },
    { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: EPHEMERAL_PORTS.begin, containerIp: IP, containerPort: 443 },
    { protocol: 'tcp', hostIp: '::1', hostPort: 9000, containerIp: IP, containerPort: 9000 },
  ].sort((a, b) => a.containerPort - b.containerPort));
});

test('ranges expand port for port; a host range for one container port is where its port is picked', async () => {
  const alloc = new HostPortAllocator();
  const got = await portMappings(runConfig(['8000-8002:9000-9002', '7000-7001/udp']), IP, alloc);
  assert.deepEqual(got.map((m) => `${m.hostIp}:${m.hostPort}->${m.containerPort}/${m.protocol}`), [
    '0.0.0.0:32768->7000/udp', '0.0.0.0:32769->7001/udp',
    '0.0.0.0:8000->9000/tcp', '0.0.0.0:8001->9001/tcp', '0.0.0.0:8002->9002/tcp',
  ]);
  // 8000 is held now: the range 8000-8010 gives the next one, and the next call the one after.
  const a = await portMappings(runConfig(['8000-8010:80']), '172.17.0.3', alloc);
  const b = await portMappings(runConfig(['8000-8010:80']), '172.17.0.4', alloc);
  assert.deepEqual([a[0]!.hostPort, b[0]!.hostPort], [8003, 8004]);
  await assert.rejects(portMappings(runConfig(['8000-8001:80']), IP, alloc), isError(ALL_PORTS_ALLOCATED, 500));
});

test('-P publishes every exposed port without a binding on an ephemeral port; bound ones keep theirs', async () => {
  const alloc = new HostPortAllocator();
  const got = await portMappings(runConfig(['8080:80'], { expose: ['80', '443', '53/udp'], all: true }), IP, alloc);
  assert.deepEqual(got.map((m) => `${m.hostPort}->${m.containerPort}/${m.protocol}`), ['32768->53/udp', '8080->80/tcp', '32768->443/tcp']);
  // Without -P exposed ports are not published.
  assert.deepEqual(await portMappings(runConfig([], { expose: ['80'] }), IP, alloc), []);
});

test('ephemeral ports: per protocol, skipping ports berth holds and ports the host cannot bind, wrapping at the end', async () => {
  const probe = busyProbe([32768, 32770]);
  const alloc = new HostPortAllocator(probe, { begin: 32768, end: 32772 });
  assert.equal(await alloc.request('tcp', '0.0.0.0'), 32769);
  assert.equal(await alloc.request('tcp', '0.0.0.0'), 32771);
  assert.equal(await alloc.request('udp', '0.0.0.0'), 32769);
  assert.equal(await alloc.request('tcp', '127.0.0.1'), 32772);
  // Wraps to the start; 32768 and 32770 are still busy, 32769 and 32771 held: nothing left.
  await assert.rejects(alloc.request('tcp', '0.0.0.0'), isError(ALL_PORTS_ALLOCATED));
  alloc.release([{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 32769, containerIp: IP, containerPort: 80 }]);
  assert.equal(await alloc.request('tcp', '0.0.0.0'), 32769);
  // Explicit ports are not probed: the proxy's bind reports a foreign holder.
  probe.asked.length = 0;
  assert.equal(await alloc.request('tcp', '0.0.0.0', 32770), 32770);
  assert.deepEqual(probe.asked, []);
});

test('an explicit port berth holds is refused with dockerd\'s text; 0.0.0.0 overlaps every IPv4 address', async () => {
  const alloc = new HostPortAllocator();
  await portMappings(runConfig(['8080:80']), IP, alloc);
  await assert.rejects(portMappings(runConfig(['8080:80']), '172.17.0.3', alloc),
    isError('Bind for 0.0.0.0:8080 failed: port is already allocated', 500));
  await assert.rejects(portMappings(runConfig(['127.0.0.1:8080:80']), '172.17.0.3', alloc),
    isError('Bind for 127.0.0.1:8080 failed: port is already allocated'));
  await assert.rejects(alloc.request('tcp', '::1', 9090, 9090).then(() => alloc.request('tcp', '::', 9090)),
    isError('Bind for [::]:9090 failed: port is already allocated'));
  // Another protocol or address family is another port.
  assert.equal(await alloc.request('udp', '0.0.0.0', 8080), 8080);
  assert.equal(await alloc.request('tcp', '::', 8080), 8080);
});

test('a failed mapping releases the ports already taken for the container (all or nothing)', async () => {
  const alloc = new HostPortAllocator();
  await portMappings(runConfig(['9000:90']), IP, alloc);
  // 80 gets 32768 and 81 gets 8081 before 90's 9000 fails.
  await assert.rejects(portMappings(runConfig(['80', '8081:81', '9000:90']), '172.17.0.3', alloc),
    isError('Bind for 0.0.0.0:9000 failed: port is already allocated'));
  assert.equal(alloc.isHeld('tcp', '0.0.0.0', 8081), false);
  assert.equal(await alloc.request('tcp', '0.0.0.0', 8081), 8081);
});

test('reserve holds the ports of containers that outlived a daemon restart', async () => {
  const alloc = new HostPortAllocator();
  alloc.reserve([{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerIp: IP, containerPort: 80 }]);
  await assert.rejects(alloc.request('tcp', '0.0.0.0', 8080), isError('Bind for 0.0.0.0:8080 failed: port is already allocated'));
});

test('bad port bindings from the API get dockerd\'s error and take no port', async () => {
  const alloc = new HostPortAllocator();
  const cfg = (key: string, hostPort: string): PublishingConfig =>
    ({ Config: {}, HostConfig: { PortBindings: { [key]: [{ HostIp: '', HostPort: hostPort }] } } });
  await assert.rejects(portMappings(cfg('80/tcp', 'abc'), IP, alloc), isError('invalid port specification: "abc"', 400));
  await assert.rejects(portMappings(cfg('80/tcp', '70000'), IP, alloc), isError('invalid port specification: "70000"'));
  await assert.rejects(portMappings(cfg('x/tcp', '80'), IP, alloc), isError('invalid port specification: "x"'));
  await assert.rejects(portMappings(cfg('80/icmp', '80'), IP, alloc), isError('invalid port specification: "80"'));
  await assert.rejects(portMappings(cfg('80-81/tcp', '90-99'), IP, alloc), isError('invalid port specification: "90-99"'));
  assert.equal(await alloc.request('tcp', '0.0.0.0'), EPHEMERAL_PORTS.begin);
});

test('NetworkSettings.Ports is dockerd\'s JSON: bindings per port, null for exposed-only ports, keys in Go map order', async () => {
  const cfg = runConfig(['8080:80', '127.0.0.1::53/udp'], { expose: ['443', '9000'] });
  const mappings = await portMappings(cfg, IP, new HostPortAllocator());
  const field = portsField(cfg.Config.ExposedPorts, mappings);
  assert.equal(JSON.stringify(field),
    '{"443/tcp":null,"53/udp":[{"HostIp":"127.0.0.1","HostPort":"32768"}],"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}],"9000/tcp":null}');
  assert.deepEqual(portsField(null, []), {});
});

test('the Ports list of GET /containers/json and the PORTS column docker ps prints from it', () => {
  const field = {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '80' }, { HostIp: '::', HostPort: '80' }],
    '81/tcp': [{ HostIp: '0.0.0.0', HostPort: '81' }, { HostIp: '::', HostPort: '81' }],
    '90/tcp': [{ HostIp: '0.0.0.0', HostPort: '9090' }, { HostIp: '::', HostPort: '9090' }],
    '443/tcp': null, '444/tcp': null, '53/udp': null,
  };
  const list = portSummaries(field);
  assert.deepEqual(list.slice(0, 3), [
    { PrivatePort: 53, Type: 'udp' },
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 80, Type: 'tcp' },
    { IP: '::', PrivatePort: 80, PublicPort: 80, Type: 'tcp' },
  ]);
  assert.equal(list.length, 9);
  // Docker 28.2.2's `docker ps --format '{{.Ports}}'` for this list.
  assert.equal(displayablePorts(list),
    '53/udp, 0.0.0.0:80-81->80-81/tcp, [::]:80-81->80-81/tcp, 443-444/tcp, 0.0.0.0:9090->90/tcp, [::]:9090->90/tcp');
  assert.deepEqual(portSummaries({}), []);
});

test('naturalLess is Go\'s sortorder: digits first, code units otherwise (docker port\'s line order)', () => {
  const lines = ['80/tcp -> [::]:8080', '9/udp -> 0.0.0.0:9', '80/tcp -> 0.0.0.0:8080', '10/tcp -> 0.0.0.0:32768', 'b', 'B', 'a02', 'a2', 'a10'];
  assert.deepEqual([...lines].sort(naturalLess), [
    '9/udp -> 0.0.0.0:9', '10/tcp -> 0.0.0.0:32768', '80/tcp -> 0.0.0.0:8080', '80/tcp -> [::]:8080', 'B', 'a2', 'a02', 'a10', 'b',
  ]);
});

test('ps --filter publish= / expose=: dockerd\'s port forms, matched against PortBindings and ExposedPorts, and its errors', () => {
  assert.deepEqual([...portFilterKeys('publish', ['80', '53/udp', '8000-8002/tcp'])], ['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
  const rec = runConfig(['8080:80'], { expose: ['443'] });
  assert.ok(matchesPortFilter('publish', portFilterKeys('publish', ['79-81']), rec));
  assert.ok(!matchesPortFilter('publish', portFilterKeys('publish', ['443']), rec));
  assert.ok(matchesPortFilter('expose', portFilterKeys('expose', ['443/tcp']), rec));
  assert.ok(!matchesPortFilter('expose', portFilterKeys('expose', ['443/udp']), rec));
  assert.ok(matchesPortFilter('expose', undefined, rec));
  assert.throws(() => portFilterKeys('publish', ['8080:80']), isError("filter for 'publish' should not contain ':': 8080:80", 400));
  assert.throws(() => portFilterKeys('expose', ['x/tcp']), isError('error while looking up for expose x/tcp: strconv.ParseUint: parsing "x": invalid syntax'));
  assert.throws(() => portFilterKeys('publish', ['70000']), isError('error while looking up for publish 70000: strconv.ParseUint: parsing "70000": value out of range'));
  assert.throws(() => portFilterKeys('publish', ['90-80']), isError('error while looking up for publish 90-80: invalid range specified for port: 90-80'));
  assert.throws(() => portFilterKeys('publish', ['']), isError('error while looking up for publish : empty string specified for ports'));
});
