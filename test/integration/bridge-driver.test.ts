// The Linux bridge driver (host-linux/net: bridge, endpoint, isolation) as the daemon uses it, but
// never on the host's own network: a private network namespace (an `unshare -n` child) stands for
// the daemon's, with forwarding on there so that isolation has something to stop, and more
// namespaces stand for containers and for a network outside berth. Bridges made, adopted and
// refused; endpoints joined, refused without leftovers, left; policy-routing isolation proven by
// pings and by the exact rules and table-1599 routes; networks removed. `ip`, `nsenter`, `sysctl`
// and busybox only set the scene and check. As root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { native } from '../../host-linux/native/index.ts';
import { createBridgeNetwork, removeBridgeNetwork } from '../../host-linux/net/bridge.ts';
import { joinEndpoint, leaveEndpoint } from '../../host-linux/net/endpoint.ts';
import { isolateNetworks, ISOLATION_TABLE } from '../../host-linux/net/isolation.ts';
import { hostRoutes } from '../../host-linux/net/host-routes.ts';
import { macAddressOf } from '../../core/engine/networks/network.ts';
import type { BridgeNetworkSpec, EndpointSpec } from '../../core/engine/networks/host.ts';
import { inside, kill, namespace as newNamespace, type Namespace } from '../helpers/netns.ts';

const execFileAsync = promisify(execFile);
const skip = typeof process.getuid === 'function' && process.getuid() !== 0 ? 'needs root (network namespaces)' : false;

const namespaces: Namespace[] = [];

/** A fresh network namespace, ended after the tests. */
async function namespace(): Promise<Namespace> {
  const ns = await newNamespace();
  namespaces.push(ns);
  return ns;
}

/** One echo request: whether its reply came (busybox waits out -W even for a refused one, so many run at once). */
async function ping(ns: Namespace, address: string): Promise<boolean> {
  try {
    await execFileAsync('nsenter', ['-t', String(ns.pid), '-n', 'busybox', 'ping', '-c', '1', '-W', '2', address]);
    return true;
  } catch {
    return false;
  }
}

/** Pings at once: [namespace, address, whether it must answer, what it shows]. */
async function reach(...checks: [Namespace, string, boolean, string][]): Promise<void> {
  const answered = await Promise.all(checks.map(([ns, address]) => ping(ns, address)));
  assert.deepEqual(checks.map(([, , , what], i) => `${what}: ${answered[i] ? 'reached' : 'not reached'}`),
    checks.map(([, , expected, what]) => `${what}: ${expected ? 'reached' : 'not reached'}`));
}

const id = () => randomBytes(32).toString('hex');

function network(name: string, subnet: string, internal = false): BridgeNetworkSpec {
  const networkId = id();
  return { id: networkId, name, bridge: `br-${networkId.slice(0, 12)}`, subnet, gateway: subnet.replace(/0\/\d+$/, '1'), internal, mtu: 0 };
}

function endpoint(net: BridgeNetworkSpec, ip: string, options: Partial<EndpointSpec> = {}): EndpointSpec {
  const prefix = net.subnet.split('/')[1];
  return {
    network: net, ifname: 'eth0', hostIfname: `veth${id().slice(0, 7)}`, address: `${ip}/${prefix}`, macAddress: macAddressOf(ip),
    defaultRoute: true, ...options,
  };
}

const linkNames = (ns: Namespace) => native().netlinkListLinks(ns.fd).map((l) => l.name).sort();
const addressesOf = (ns: Namespace, link: string) => {
  const index = native().netlinkLink(ns.fd, link).index;
  return native().netlinkListAddresses(ns.fd).filter((a) => a.linkIndex === index).map((a) => a.address);
};
const berthRules = (ns: Namespace) => native().netlinkListRules(ns.fd).filter((r) => r.priority >= 31000 && r.priority <= 31099)
  .map((r) => `${r.priority} ${r.action} ${r.table} ${r.iif ?? ''}${r.destination ? ` to ${r.destination}` : ''}`.trim()).sort();
const isolationRoutes = (ns: Namespace) => native().netlinkListRoutes(ns.fd).filter((r) => r.table === ISOLATION_TABLE)
  .map((r) => `${r.type} ${r.destination}`).sort();

let host: Namespace; // stands for the daemon's namespace: the bridges live here
let a1: Namespace; // containers on the network `a`
let a2: Namespace;
let b1: Namespace; // on the network `b`
let i1: Namespace; // on the internal network `i`
let outside: Namespace; // beyond the host, routed through it, no berth network

const netA = network('a', '172.18.0.0/16');
const netB = { ...network('b', '172.19.0.0/16'), mtu: 1450 };
const netI = network('i', '172.20.0.0/24', true);
const epA1 = endpoint(netA, '172.18.0.2');
const epA2 = endpoint(netA, '172.18.0.3');
const epB1 = endpoint(netB, '172.19.0.2');
// As a container with NET_ADMIN could: a default route through the internal network's gateway.
const epI1 = endpoint(netI, '172.20.0.2');
const ownBridges = [netA, netB, netI].map((n) => n.bridge);

before(async () => {
  if (skip) return;
  [host, a1, a2, b1, i1, outside] = await Promise.all([namespace(), namespace(), namespace(), namespace(), namespace(), namespace()]);
  inside(host, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
  // The outside: 192.168.77.0/24 behind a veth from the "host", answering through it.
  const nl = native();
  nl.netlinkCreateVeth(host.fd, 'uplink0', 'eth0', 0, outside.fd);
  nl.netlinkAddAddress(host.fd, 'uplink0', '192.168.77.1/24');
  nl.netlinkSetLinkUp(host.fd, 'uplink0', true);
  nl.netlinkAddAddress(outside.fd, 'eth0', '192.168.77.2/24');
  nl.netlinkSetLinkUp(outside.fd, 'eth0', true);
  nl.netlinkAddRoute(outside.fd, null, '192.168.77.1', null);
});

after(async () => {
  for (const ns of namespaces) {
    closeSync(ns.fd);
    await kill(ns);
  }
  // Nothing of this test reached the host's own namespace.
  const links = native().netlinkListLinks(null).map((l) => l.name);
  for (const name of [...ownBridges, epA1.hostIfname, epA2.hostIfname, epB1.hostIfname, epI1.hostIfname, 'uplink0']) {
    assert.ok(!links.includes(name), `${name} is on the host`);
  }
  assert.ok(!native().netlinkListRules(null).some((r) => r.iif && ownBridges.includes(r.iif)));
});

test('createBridgeNetwork makes the bridge up with its gateway address and a MAC of its own, and adopts it again', { skip }, async () => {
  const nl = native();
  await createBridgeNetwork(netA, host.fd);
  const bridge = nl.netlinkLink(host.fd, netA.bridge);
  assert.equal(bridge.kind, 'bridge');
  assert.equal(bridge.up, true);
  assert.equal(bridge.mtu, 1500);
  // Locally administered, unicast.
  assert.match(bridge.mac, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/);
  assert.deepEqual(addressesOf(host, netA.bridge), ['172.18.0.1/16']);
  assert.match(inside(host, 'ip', '-o', '-4', 'addr', 'show', netA.bridge), /inet 172\.18\.0\.1\/16 brd 172\.18\.255\.255 /);
  assert.ok(hostRoutes(host.fd).includes('172.18.0.0/16'), 'the bridge routes its subnet');

  // Adopted as an earlier daemon left it: the same link, MAC and single address.
  await createBridgeNetwork(netA, host.fd);
  const again = nl.netlinkLink(host.fd, netA.bridge);
  assert.deepEqual({ ...again }, { ...bridge });
  assert.deepEqual(addressesOf(host, netA.bridge), ['172.18.0.1/16']);

  // Adopted down, without its address and with another MTU (someone took it down and flushed it).
  inside(host, 'ip', 'link', 'set', netA.bridge, 'down', 'mtu', '1400');
  inside(host, 'ip', 'addr', 'flush', 'dev', netA.bridge);
  await createBridgeNetwork(netA, host.fd);
  const restored = nl.netlinkLink(host.fd, netA.bridge);
  assert.deepEqual([restored.index, restored.mac, restored.up], [bridge.index, bridge.mac, true]);
  assert.deepEqual(addressesOf(host, netA.bridge), ['172.18.0.1/16']);
  assert.equal(restored.mtu, 1400, 'mtu 0 keeps what the bridge has');
  await createBridgeNetwork({ ...netA, mtu: 1500 }, host.fd);
  assert.equal(nl.netlinkLink(host.fd, netA.bridge).mtu, 1500);
  // Left with another subnet's address and no port: made anew, so the old subnet is no longer routed.
  inside(host, 'ip', 'addr', 'add', '10.9.9.1/24', 'dev', netA.bridge);
  await createBridgeNetwork(netA, host.fd);
  assert.deepEqual(addressesOf(host, netA.bridge), ['172.18.0.1/16']);
  assert.ok(!hostRoutes(host.fd).includes('10.9.9.0/24'));
  assert.equal(nl.netlinkLink(host.fd, netA.bridge).up, true);
  assert.match(nl.netlinkLink(host.fd, netA.bridge).mac, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/);

  await createBridgeNetwork(netB, host.fd);
  assert.equal(nl.netlinkLink(host.fd, netB.bridge).mtu, 1450);
  await createBridgeNetwork(netI, host.fd);
  assert.deepEqual(addressesOf(host, netI.bridge), ['172.20.0.1/24']);
  assert.notEqual(nl.netlinkLink(host.fd, netB.bridge).mac, bridge.mac);
});

test('createBridgeNetwork refuses a device of that name that is not a bridge, and bad specs, creating nothing', { skip }, async () => {
  const other = network('taken', '10.10.0.0/24');
  inside(host, 'ip', 'link', 'add', other.bridge, 'type', 'veth', 'peer', 'name', 'taken0');
  const before = native().netlinkLink(host.fd, other.bridge);
  await assert.rejects(createBridgeNetwork(other, host.fd), {
    name: 'BerthError',
    message: `cannot create network taken (${other.id.slice(0, 12)}): the host already has a veth device named ${other.bridge}, which is not a bridge; remove it (ip link delete ${other.bridge}) and try again`,
  });
  // Untouched: still down, no address, and removing the network leaves it alone too.
  assert.deepEqual({ ...native().netlinkLink(host.fd, other.bridge) }, { ...before });
  assert.deepEqual(addressesOf(host, other.bridge), []);
  await removeBridgeNetwork(other, host.fd);
  assert.equal(native().netlinkLink(host.fd, other.bridge).kind, 'veth');
  inside(host, 'ip', 'link', 'delete', other.bridge);

  const links = linkNames(host);
  await assert.rejects(createBridgeNetwork(network('bad', '10.11.0.0/33'), host.fd), { message: /network bad: invalid subnet "10\.11\.0\.0\/33"/ });
  await assert.rejects(createBridgeNetwork({ ...network('badgw', '10.12.0.0/24'), gateway: '10.12.0.256' }, host.fd),
    { message: /network badgw: invalid gateway "10\.12\.0\.256"/ });
  await assert.rejects(createBridgeNetwork({ ...network('outgw', '10.13.0.0/24'), gateway: '10.14.0.1' }, host.fd),
    { message: /network outgw: gateway 10\.14\.0\.1 is not in its subnet 10\.13\.0\.0\/24/ });
  assert.deepEqual(linkNames(host), links, 'no bridge left behind');
});

test('joinEndpoint puts eth0 with its address, MAC and default route into the container, the host end on the bridge', { skip }, async () => {
  const nl = native();
  const bridge = nl.netlinkLink(host.fd, netA.bridge);
  await joinEndpoint(a1.pid, epA1, host.fd);
  await joinEndpoint(a2.pid, epA2, host.fd);

  const eth0 = nl.netlinkLink(a1.fd, 'eth0');
  assert.deepEqual([eth0.kind, eth0.mac, eth0.up, eth0.mtu], ['veth', '02:42:ac:12:00:02', true, 1500]);
  assert.deepEqual(addressesOf(a1, 'eth0'), ['172.18.0.2/16']);
  assert.match(inside(a1, 'ip', '-o', '-4', 'addr', 'show', 'eth0'), /inet 172\.18\.0\.2\/16 brd 172\.18\.255\.255 /);
  assert.deepEqual(nl.netlinkListRoutes(a1.fd).filter((r) => r.table === 254).map((r) => `${r.destination} ${r.gateway ?? ''}`).sort(),
    ['0.0.0.0/0 172.18.0.1', '172.18.0.0/16 ']);
  const hostEnd = nl.netlinkLink(host.fd, epA1.hostIfname);
  assert.deepEqual([hostEnd.kind, hostEnd.master, hostEnd.up], ['veth', bridge.index, true]);
  assert.match(inside(host, 'ip', '-o', 'link', 'show', epA1.hostIfname), new RegExp(`master ${netA.bridge} `));
  // The bridge keeps its own MAC as ports with others come (a bridge without one takes its lowest port's).
  assert.equal(nl.netlinkLink(host.fd, netA.bridge).mac, bridge.mac);

  await reach([a1, '172.18.0.3', true, 'a1 to a2 across the bridge'], [a2, '172.18.0.2', true, 'a2 to a1'], [a1, '172.18.0.1', true, 'a1 to its gateway']);

  // With containers on it, a bridge is adopted whatever else it carries: they keep their links.
  inside(host, 'ip', 'addr', 'add', '10.9.9.1/24', 'dev', netA.bridge);
  await createBridgeNetwork(netA, host.fd);
  assert.equal(nl.netlinkLink(host.fd, netA.bridge).index, bridge.index);
  assert.equal(nl.netlinkLink(host.fd, epA1.hostIfname).master, bridge.index);
  inside(host, 'ip', 'addr', 'del', '10.9.9.1/24', 'dev', netA.bridge);

  await joinEndpoint(b1.pid, epB1, host.fd);
  assert.deepEqual([nl.netlinkLink(b1.fd, 'eth0').mtu, nl.netlinkLink(host.fd, epB1.hostIfname).mtu], [1450, 1450]);
  await joinEndpoint(i1.pid, epI1, host.fd);
  assert.equal(nl.netlinkLink(host.fd, epI1.hostIfname).master, nl.netlinkLink(host.fd, netI.bridge).index);

  // A second network: eth1, its subnet's route and no default route of its own.
  const second = endpoint(netI, '172.20.0.3', { ifname: 'eth1', defaultRoute: false });
  await joinEndpoint(a1.pid, second, host.fd);
  assert.deepEqual(addressesOf(a1, 'eth1'), ['172.20.0.3/24']);
  assert.deepEqual(nl.netlinkListRoutes(a1.fd).filter((r) => r.table === 254).map((r) => `${r.destination} ${r.gateway ?? ''}`).sort(),
    ['0.0.0.0/0 172.18.0.1', '172.18.0.0/16 ', '172.20.0.0/24 ']);
  await reach([a1, '172.20.0.2', true, 'a1 to i1 through eth1']);
  await leaveEndpoint(a1.pid, second, host.fd);
  assert.deepEqual(linkNames(a1), ['eth0', 'lo']);
  assert.throws(() => nl.netlinkLink(host.fd, second.hostIfname), { code: 'ENODEV' });
});

test('joinEndpoint refuses a bad address, a taken name, an unreachable gateway and a vanished process, leaving nothing', { skip }, async () => {
  const nl = native();
  const hostLinks = linkNames(host);
  const a1Links = linkNames(a1);
  await assert.rejects(joinEndpoint(a1.pid, endpoint(netA, '172.18.0.300', { ifname: 'eth1', macAddress: '02:42:ac:12:00:09', defaultRoute: false }), host.fd),
    { name: 'TypeError', message: /invalid IPv4 address "172\.18\.0\.300\/16"/ });
  // eth0 is a1's already: the whole pair is refused.
  await assert.rejects(joinEndpoint(a1.pid, endpoint(netA, '172.18.0.9', { defaultRoute: false }), host.fd), { code: 'EEXIST' });
  // Another endpoint's host end: refused, and that endpoint keeps working.
  await assert.rejects(joinEndpoint(a1.pid, endpoint(netA, '172.18.0.9', { ifname: 'eth1', hostIfname: epA2.hostIfname, defaultRoute: false }), host.fd),
    { code: 'EEXIST', message: new RegExp(`^EEXIST: file exists, creating veth '${epA2.hostIfname}'`) });
  // A second default route, after the pair exists in both namespaces: undone.
  await assert.rejects(joinEndpoint(a1.pid, endpoint(netA, '172.18.0.9', { ifname: 'eth1' }), host.fd),
    { code: 'EEXIST', message: /^EEXIST: file exists, adding route 'default'/ });
  // A gateway outside the address's subnet.
  await assert.rejects(joinEndpoint(a1.pid, { ...endpoint(netA, '172.18.0.9', { ifname: 'eth1' }), network: { ...netA, gateway: '10.99.0.1' } }, host.fd),
    { code: 'ENETUNREACH', message: /^ENETUNREACH: network is unreachable, adding route 'default'/ });
  // A bridge that is gone.
  await assert.rejects(joinEndpoint(a1.pid, endpoint(network('gone', '10.15.0.0/24'), '10.15.0.2', { ifname: 'eth1' }), host.fd),
    { code: 'ENODEV', message: /^ENODEV: no such device, joining bridge 'br-/ });
  assert.deepEqual(linkNames(host), hostLinks);
  assert.deepEqual(linkNames(a1), a1Links);
  assert.deepEqual(addressesOf(a1, 'eth0'), ['172.18.0.2/16']);
  await reach([a1, '172.18.0.3', true, 'a1 still reaches a2']);

  await assert.rejects(joinEndpoint(host.pid, endpoint(netA, '172.18.0.9'), host.fd), {
    name: 'BerthError', message: `cannot connect to network a: the process ${host.pid} is in the host's network namespace, not a container's`,
  });
  await assert.rejects(joinEndpoint(process.pid, endpoint(netA, '172.18.0.9')), { name: 'BerthError', message: /is in the host's network namespace/ });
  assert.deepEqual(linkNames(host), hostLinks);

  const gone = await namespace();
  await kill(gone);
  await assert.rejects(joinEndpoint(gone.pid, endpoint(netA, '172.18.0.9'), host.fd), {
    name: 'BerthError', message: `cannot connect to network a: the container's process ${gone.pid} has exited`,
  });
  assert.deepEqual(linkNames(host), hostLinks);
  assert.equal(nl.netlinkLink(host.fd, netA.bridge).up, true);
});

test('isolateNetworks: networks apart, each reaching its own gateway and the host; an internal one reaching nothing beyond', { skip }, async () => {
  // Without isolation the host forwards between everything: what the rules must stop.
  await reach([a1, '172.19.0.2', true, 'a1 to b1 before isolation'], [i1, '192.168.77.2', true, 'i1 to the outside before isolation']);

  await isolateNetworks([netA, netB, netI], host.fd);
  await reach(
    [a1, '172.19.0.2', false, 'a1 to b1'],
    [b1, '172.18.0.2', false, 'b1 to a1'],
    [a1, '172.20.0.2', false, 'a1 to i1'],
    [i1, '172.18.0.2', false, 'i1 to a1'],
    [i1, '192.168.77.2', false, 'i1 to the outside'],
    [a1, '172.18.0.3', true, 'a1 to a2 (bridged)'],
    [a1, '172.18.0.1', true, 'a1 to its gateway'],
    [b1, '172.19.0.1', true, 'b1 to its gateway'],
    [i1, '172.20.0.1', true, 'i1 to its gateway'],
    // The host's own addresses are delivered locally (its DNS servers are on the gateways).
    [a1, '172.19.0.1', true, 'a1 to the host at b\'s gateway'],
    [i1, '192.168.77.1', true, 'i1 to the host at its uplink'],
    // The host reaches every container (the userland proxy's and the DNS replies' way).
    [host, '172.18.0.2', true, 'the host to a1'],
    [host, '172.20.0.2', true, 'the host to i1'],
    // A network that is not internal reaches beyond its subnet (no NAT here: the outside routes back).
    [a1, '192.168.77.2', true, 'a1 to the outside'],
    [b1, '192.168.77.2', true, 'b1 to the outside'],
  );
});

test('isolateNetworks makes the rules and table 1599 exactly the list\'s: missing added, stale removed, others kept, idempotent', { skip }, async () => {
  const nl = native();
  const expectedRules = (specs: BridgeNetworkSpec[]) => specs.flatMap((s) => [
    `31000 lookup 1599 ${s.bridge}`, ...(s.internal ? [`31001 prohibit 0 ${s.bridge}`] : []),
  ]).sort();
  const expectedRoutes = (specs: BridgeNetworkSpec[]) => specs.map((s) => `prohibit ${s.subnet}`).sort();
  assert.deepEqual(berthRules(host), expectedRules([netA, netB, netI]));
  assert.deepEqual(isolationRoutes(host), expectedRoutes([netA, netB, netI]));
  assert.match(inside(host, 'ip', 'rule', 'show'), new RegExp(`^31001:\\s+from all iif ${netI.bridge} prohibit`, 'm'));
  assert.match(inside(host, 'ip', 'route', 'show', 'table', '1599'), /^prohibit 172\.20\.0\.0\/24/m);

  await isolateNetworks([netA, netB, netI], host.fd);
  assert.deepEqual(berthRules(host), expectedRules([netA, netB, netI]), 'idempotent');
  assert.deepEqual(isolationRoutes(host), expectedRoutes([netA, netB, netI]));

  // Someone removed some, left stale ones (a bridge gone, a rule no spec wants, a subnet no bridge
  // routes) and added their own outside berth's range and table.
  nl.netlinkDeleteRule(host.fd, 31000, 'lookup', ISOLATION_TABLE, netB.bridge, null);
  nl.netlinkDeleteRoute(host.fd, '172.18.0.0/16', { table: ISOLATION_TABLE });
  nl.netlinkAddRule(host.fd, 31000, 'lookup', ISOLATION_TABLE, 'br-000000000000', null);
  nl.netlinkAddRule(host.fd, 31001, 'prohibit', 0, netA.bridge, null);
  nl.netlinkAddRule(host.fd, 31002, 'lookup', ISOLATION_TABLE, null, '10.1.0.0/16');
  nl.netlinkAddRoute(host.fd, '10.99.0.0/24', null, null, { table: ISOLATION_TABLE, type: 'prohibit' });
  nl.netlinkAddRule(host.fd, 30999, 'lookup', 1598, netA.bridge, null);
  nl.netlinkAddRoute(host.fd, '10.98.0.0/24', null, null, { table: 1598, type: 'prohibit' });
  await isolateNetworks([netA, netB, netI], host.fd);
  assert.deepEqual(berthRules(host), expectedRules([netA, netB, netI]));
  assert.deepEqual(isolationRoutes(host), expectedRoutes([netA, netB, netI]));
  assert.ok(nl.netlinkListRules(host.fd).some((r) => r.priority === 30999 && r.table === 1598), 'a rule outside the range is kept');
  assert.ok(nl.netlinkListRoutes(host.fd).some((r) => r.table === 1598 && r.destination === '10.98.0.0/24'), 'another table is kept');
  nl.netlinkDeleteRule(host.fd, 30999, 'lookup', 1598, netA.bridge, null);
  nl.netlinkDeleteRoute(host.fd, '10.98.0.0/24', { table: 1598 });
  await reach([a1, '172.19.0.2', false, 'a1 still does not reach b1']);

  // i no longer internal: its prohibit rule goes, its containers reach the outside.
  const openI = { ...netI, internal: false };
  await isolateNetworks([netA, netB, openI], host.fd);
  assert.deepEqual(berthRules(host), expectedRules([netA, netB, openI]));
  await reach([i1, '192.168.77.2', true, 'i1 reaches the outside once not internal']);
  await isolateNetworks([netA, netB, netI], host.fd);
  await reach([i1, '192.168.77.2', false, 'and not once internal again']);

  // A bridge of the list that is gone: its rules and route are removed with the next list.
  const c = network('c', '172.21.0.0/16');
  await createBridgeNetwork(c, host.fd);
  await isolateNetworks([netA, netB, netI, c], host.fd);
  assert.deepEqual(berthRules(host), expectedRules([netA, netB, netI, c]));
  nl.netlinkDeleteLink(host.fd, c.bridge);
  await isolateNetworks([netA, netB, netI], host.fd);
  assert.deepEqual(berthRules(host), expectedRules([netA, netB, netI]));
  assert.deepEqual(isolationRoutes(host), expectedRoutes([netA, netB, netI]));

  // Another daemon's network (its bridge exists, its subnet is routed, not in this list) keeps its rules and route.
  const theirs = network('theirs', '172.22.0.0/16');
  await createBridgeNetwork(theirs, host.fd);
  await isolateNetworks([netA, netB, netI, theirs], host.fd);
  await isolateNetworks([netA, netB, netI], host.fd);
  assert.deepEqual(berthRules(host), expectedRules([netA, netB, netI, theirs]));
  assert.deepEqual(isolationRoutes(host), expectedRoutes([netA, netB, netI, theirs]));
  await removeBridgeNetwork(theirs, host.fd);
  assert.deepEqual(berthRules(host), expectedRules([netA, netB, netI]));
  assert.deepEqual(isolationRoutes(host), expectedRoutes([netA, netB, netI]));
});

test('leaveEndpoint removes the interface, is idempotent, and works once the process has died', { skip }, async () => {
  const nl = native();
  await leaveEndpoint(a2.pid, epA2, host.fd);
  assert.deepEqual(linkNames(a2), ['lo']);
  assert.throws(() => nl.netlinkLink(host.fd, epA2.hostIfname), { code: 'ENODEV' });
  await reach([a1, '172.18.0.3', false, 'a2 is gone from the network']);
  await leaveEndpoint(a2.pid, epA2, host.fd);
  // Connected again (another endpoint, the same eth0): leaving the old endpoint once more leaves the new one alone.
  const again = endpoint(netA, '172.18.0.4');
  await joinEndpoint(a2.pid, again, host.fd);
  await leaveEndpoint(a2.pid, epA2, host.fd);
  assert.deepEqual(addressesOf(a2, 'eth0'), ['172.18.0.4/16']);
  await reach([a1, '172.18.0.4', true, 'a1 to a2 connected again']);
  await leaveEndpoint(a2.pid, again, host.fd);
  assert.deepEqual(linkNames(a2), ['lo']);

  // The namespace outlives its process while something holds it (here: this test's fd), and so does the veth.
  await kill(b1);
  assert.ok(nl.netlinkListLinks(b1.fd).some((l) => l.name === 'eth0'));
  await leaveEndpoint(b1.pid, epB1, host.fd);
  assert.throws(() => nl.netlinkLink(host.fd, epB1.hostIfname), { code: 'ENODEV' });
  assert.deepEqual(linkNames(b1), ['lo']);
  await leaveEndpoint(b1.pid, epB1, host.fd);
});

test('removeBridgeNetwork deletes the bridge, its rules and route, and nothing else; idempotent', { skip }, async () => {
  const nl = native();
  await removeBridgeNetwork(netI, host.fd);
  assert.throws(() => nl.netlinkLink(host.fd, netI.bridge), { code: 'ENODEV' });
  assert.deepEqual(berthRules(host), [`31000 lookup 1599 ${netA.bridge}`, `31000 lookup 1599 ${netB.bridge}`].sort());
  assert.deepEqual(isolationRoutes(host), ['prohibit 172.18.0.0/16', 'prohibit 172.19.0.0/16']);
  assert.ok(!hostRoutes(host.fd).includes('172.20.0.0/24'));
  // Its container's veth stays (the kernel deletes it with the namespace), off any bridge.
  assert.equal(nl.netlinkLink(host.fd, epI1.hostIfname).master, 0);
  await removeBridgeNetwork(netI, host.fd);

  await removeBridgeNetwork(netA, host.fd);
  await removeBridgeNetwork(netB, host.fd);
  await removeBridgeNetwork(netB, host.fd);
  assert.deepEqual(berthRules(host), []);
  assert.deepEqual(isolationRoutes(host), []);
  assert.deepEqual(linkNames(host).filter((n) => n.startsWith('br-')), []);
  await reach([outside, '192.168.77.1', true, 'the namespace\'s other network is untouched']);
});
