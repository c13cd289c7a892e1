// rtnetlink through the native addon, inside network namespaces this test creates (`unshare -n`
// children), never on the host's own network: a bridge in one namespace with a veth pair to each
// of two others, addresses, routes and links up, proven by real pings; routes listed as `ip` lists
// them; errors for duplicates and unknown links; policy-routing rules and routes in other tables
// and of other types; link and address dumps, MACs; a whole endpoint joined in one call and undone
// when it fails. `ip`, `nsenter` and busybox only check. As root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, readdirSync, readlinkSync } from 'node:fs';
import { native, type NetlinkRoute } from '../../host-linux/native/index.ts';
import { hostRoutes } from '../../host-linux/net/host-routes.ts';
import { pickSubnet } from '../../core/network/default-pools.ts';
import { inside, kill, namespace, type Namespace } from '../helpers/netns.ts';

function ping(ns: Namespace, address: string): boolean {
  try {
    inside(ns, 'busybox', 'ping', '-c', '1', '-W', '3', address);
    return true;
  } catch {
    return false;
  }
}

const ownNetns = () => readlinkSync('/proc/thread-self/ns/net');
const ownLinks = () => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map((l) => l.split(':')[1]?.trim()).filter(Boolean).sort();

let bridgeNs: Namespace; // stands for the daemon's namespace, where the bridge lives
let a: Namespace;
let b: Namespace;
let hostNetnsBefore: string;
let hostLinksBefore: string[];

before(async () => {
  hostNetnsBefore = ownNetns();
  hostLinksBefore = ownLinks();
  [bridgeNs, a, b] = await Promise.all([namespace(), namespace(), namespace()]);
});

after(async () => {
  for (const ns of [bridgeNs, a, b]) {
    if (!ns) continue;
    closeSync(ns.fd);
    await kill(ns);
  }
});

test('a bridge and two veth pairs connect two namespaces: pings over the bridge, the default route and lo', () => {
  const nl = native();
  nl.netlinkCreateBridge(bridgeNs.fd, 'berth-br0', 1450);
  // One peer created directly in its namespace, the other moved there afterwards.
  nl.netlinkCreateVeth(bridgeNs.fd, 'vetha', 'eth0', 1450, a.fd);
  nl.netlinkCreateVeth(bridgeNs.fd, 'vethb', 'vethb-peer', 1450, null);
  nl.netlinkSetLinkNetns(bridgeNs.fd, 'vethb-peer', b.fd);
  nl.netlinkRenameLink(b.fd, 'vethb-peer', 'eth0');

  nl.netlinkSetLinkMaster(bridgeNs.fd, 'vetha', 'berth-br0');
  nl.netlinkSetLinkMaster(bridgeNs.fd, 'vethb', 'berth-br0');
  nl.netlinkAddAddress(bridgeNs.fd, 'berth-br0', '10.77.0.1/24');
  nl.netlinkAddAddress(bridgeNs.fd, 'berth-br0', '10.88.0.1/24'); // reachable from a only through its default route
  for (const link of ['berth-br0', 'vetha', 'vethb']) nl.netlinkSetLinkUp(bridgeNs.fd, link, true);
  nl.netlinkAddAddress(a.fd, 'eth0', '10.77.0.2/24');
  nl.netlinkAddAddress(b.fd, 'eth0', '10.77.0.3/24');
  for (const ns of [a, b]) {
    nl.netlinkSetLinkUp(ns.fd, 'lo', true);
    nl.netlinkSetLinkUp(ns.fd, 'eth0', true);
  }
  nl.netlinkAddRoute(a.fd, null, '10.77.0.1', null);

  const bridge = nl.netlinkLink(bridgeNs.fd, 'berth-br0');
  const vetha = nl.netlinkLink(bridgeNs.fd, 'vetha');
  assert.equal(vetha.master, bridge.index);
  assert.equal(vetha.mtu, 1450);
  assert.equal(vetha.up, true);
  const eth0 = nl.netlinkLink(a.fd, 'eth0');
  assert.match(eth0.mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  assert.equal(eth0.mtu, 1450);
  assert.equal(eth0.master, 0);
  // The kernel's own view agrees.
  assert.match(inside(a, 'ip', '-o', 'link', 'show', 'eth0'), new RegExp(`mtu 1450 .*link/ether ${eth0.mac}`));
  assert.match(inside(bridgeNs, 'ip', '-o', 'link', 'show', 'vethb'), /master berth-br0/);

  assert.ok(ping(a, '10.77.0.3'), 'a reaches b across the bridge');
  assert.ok(ping(b, '10.77.0.2'), 'b reaches a across the bridge');
  assert.ok(ping(a, '10.88.0.1'), 'a reaches another subnet through its default route');
  assert.ok(!ping(b, '10.88.0.1'), 'b, without a default route, does not');
  assert.ok(ping(a, '127.0.0.1'), 'lo is up');

  // The daemon's own thread never left its namespace, and its links are untouched.
  assert.equal(ownNetns(), hostNetnsBefore);
  assert.deepEqual(ownLinks(), hostLinksBefore);
});

test('routes are listed as the kernel has them, in a namespace and in the daemon\'s own', () => {
  const nl = native();
  nl.netlinkAddRoute(b.fd, '10.99.0.0/16', '10.77.0.1', 'eth0');
  const main = (routes: NetlinkRoute[]) => routes.filter((r) => r.table === 254);
  const routesA = nl.netlinkListRoutes(a.fd);
  const eth0 = nl.netlinkLink(a.fd, 'eth0');
  assert.deepEqual(main(routesA).map((r) => ({ ...r })).sort((x, y) => x.destination.localeCompare(y.destination)), [
    { destination: '0.0.0.0/0', gateway: '10.77.0.1', linkIndex: eth0.index, table: 254, type: 'unicast' },
    { destination: '10.77.0.0/24', source: '10.77.0.2', linkIndex: eth0.index, table: 254, type: 'unicast' },
  ]);
  assert.ok(routesA.some((r) => r.table === 255 && r.type === 'local' && r.destination === '10.77.0.2/32'));
  assert.ok(main(nl.netlinkListRoutes(b.fd)).some((r) => r.destination === '10.99.0.0/16' && r.gateway === '10.77.0.1'));

  // What IPAM avoids: b routes 172.17.0.0/16 (dockerd's first pool), so a new network skips it.
  nl.netlinkAddRoute(b.fd, '172.17.0.0/16', '10.77.0.1', null);
  assert.deepEqual(hostRoutes(b.fd).sort(), ['10.77.0.0/24', '10.99.0.0/16', '172.17.0.0/16']);
  assert.equal(pickSubnet(hostRoutes(b.fd)), '172.18.0.0/16');
  assert.equal(pickSubnet(hostRoutes(a.fd)), '172.17.0.0/16');

  // Read-only in the daemon's namespace: what IPAM consults to avoid the host's subnets. Other
  // work on this machine may change the host's routes between the two reads: compare again then.
  const ipRoutes = () => execFileSync('ip', ['-4', 'route', 'show', 'table', 'main'], { encoding: 'utf8' })
    .split('\n').filter(Boolean).map((l) => l.split(' ')[0]!).map((d) => (d === 'default' ? '0.0.0.0/0' : d.includes('/') ? d : `${d}/32`)).sort();
  const listed = () => main(nl.netlinkListRoutes(null)).map((r) => r.destination).sort();
  let attempt = 0;
  for (let expected = ipRoutes(), got = listed(); ; expected = ipRoutes(), got = listed()) {
    if (++attempt === 5 || JSON.stringify(got) === JSON.stringify(expected)) {
      assert.deepEqual(got, expected);
      break;
    }
  }
});

test('duplicates and unknown links fail with the errno and what was being done', () => {
  const nl = native();
  const fails = (fn: () => void, code: string, message: string) => assert.throws(fn, (e: NodeJS.ErrnoException) => {
    assert.equal(e.code, code);
    // The kernel's own reason, when this kernel gives one, follows in parentheses.
    assert.ok(e.message === message || e.message.startsWith(`${message} (`), e.message);
    return true;
  });
  fails(() => nl.netlinkCreateBridge(bridgeNs.fd, 'berth-br0', 0), 'EEXIST', "EEXIST: file exists, creating bridge 'berth-br0'");
  fails(() => nl.netlinkCreateVeth(bridgeNs.fd, 'vetha', 'other0', 0, null), 'EEXIST', "EEXIST: file exists, creating veth 'vetha'");
  fails(() => nl.netlinkAddAddress(a.fd, 'eth0', '10.77.0.2/24'), 'EEXIST', "EEXIST: file exists, adding address 'eth0'");
  fails(() => nl.netlinkAddRoute(a.fd, null, '10.77.0.1', null), 'EEXIST', "EEXIST: file exists, adding route 'default'");
  fails(() => nl.netlinkSetLinkUp(a.fd, 'vetha', true), 'ENODEV', "ENODEV: no such device, setting link up 'vetha'");
  fails(() => nl.netlinkDeleteLink(bridgeNs.fd, 'nope0'), 'ENODEV', "ENODEV: no such device, deleting link 'nope0'");
  fails(() => nl.netlinkSetLinkMaster(bridgeNs.fd, 'vetha', 'nobridge'), 'ENODEV', "ENODEV: no such device, setting link master 'nobridge'");
  fails(() => nl.netlinkAddRoute(b.fd, '10.66.0.0/16', '192.0.2.1', null), 'ENETUNREACH', "ENETUNREACH: network is unreachable, adding route '10.66.0.0/16'");
  fails(() => nl.netlinkRenameLink(a.fd, 'eth0', 'lo'), 'EEXIST', "EEXIST: file exists, renaming link 'eth0'");
  // A bare EINVAL says little: the kernel's extended ack says which limit was hit.
  assert.throws(() => nl.netlinkSetLinkMtu(b.fd, 'eth0', 70000), { code: 'EINVAL', message: /^EINVAL: invalid argument, setting link mtu 'eth0' \(.*mtu.*\)$/i });
  assert.equal(nl.netlinkLink(b.fd, 'eth0').mtu, 1450);
  assert.throws(() => nl.netlinkCreateBridge(bridgeNs.fd, 'a-name-longer-than-15', 0), { name: 'TypeError', message: /invalid link name/ });
  assert.throws(() => nl.netlinkRenameLink(b.fd, 'eth0', 'eth 1'), { name: 'TypeError', message: /invalid link name "eth 1"/ });
  assert.throws(() => nl.netlinkAddAddress(a.fd, 'eth0', '10.77.0.300/24'), { name: 'TypeError', message: /invalid IPv4 address "10.77.0.300\/24"/ });
  assert.throws(() => nl.netlinkAddAddress(a.fd, 'eth0', '10.77.0.4/33'), { name: 'TypeError', message: /invalid IPv4 address/ });
  // Failed calls leave no socket open behind them.
  const fds = readdirSync('/proc/self/fd').length;
  for (let i = 0; i < 20; i++) assert.throws(() => nl.netlinkSetLinkUp(a.fd, 'nope0', true), { code: 'ENODEV' });
  for (let i = 0; i < 20; i++) assert.throws(() => nl.netlinkCreateBridge(bridgeNs.fd, 'berth-br0', 0), { code: 'EEXIST' });
  assert.equal(readdirSync('/proc/self/fd').length, fds);
  // A failed call changed nothing.
  assert.equal(nl.netlinkListRoutes(b.fd).some((r) => r.destination === '10.66.0.0/16'), false);
});

test('deleting one end of a veth pair removes the other from its namespace; a detached link leaves the bridge', () => {
  const nl = native();
  nl.netlinkSetLinkMaster(bridgeNs.fd, 'vethb', null);
  assert.equal(nl.netlinkLink(bridgeNs.fd, 'vethb').master, 0);
  nl.netlinkSetLinkMtu(bridgeNs.fd, 'vethb', 1400);
  assert.equal(nl.netlinkLink(bridgeNs.fd, 'vethb').mtu, 1400);
  nl.netlinkDeleteLink(bridgeNs.fd, 'vetha');
  assert.throws(() => nl.netlinkLink(a.fd, 'eth0'), { code: 'ENODEV' });
  assert.doesNotMatch(inside(a, 'ip', '-o', 'link', 'show'), /eth0/);
  nl.netlinkDeleteLink(bridgeNs.fd, 'berth-br0');
  assert.throws(() => nl.netlinkLink(bridgeNs.fd, 'berth-br0'), { code: 'ENODEV' });
});

test('rules and table routes: added, listed as `ip rule` / `ip route show table` have them, deleted; errors say which', () => {
  const nl = native();
  nl.netlinkAddRoute(bridgeNs.fd, '10.55.0.0/24', null, null, { table: 1599, type: 'prohibit' });
  nl.netlinkAddRule(bridgeNs.fd, 31000, 'lookup', 1599, 'brq0', null);
  nl.netlinkAddRule(bridgeNs.fd, 31001, 'prohibit', 0, 'brq0', null);
  nl.netlinkAddRule(bridgeNs.fd, 31002, 'lookup', 100, null, '10.1.0.0/16');
  const berthRules = () => nl.netlinkListRules(bridgeNs.fd).filter((r) => r.priority >= 31000 && r.priority < 31100).map((r) => ({ ...r }));
  assert.deepEqual(berthRules(), [
    { priority: 31000, action: 'lookup', table: 1599, iif: 'brq0' },
    { priority: 31001, action: 'prohibit', table: 0, iif: 'brq0' },
    { priority: 31002, action: 'lookup', table: 100, destination: '10.1.0.0/16' },
  ]);
  // The kernel's own view agrees.
  const ipRules = inside(bridgeNs, 'ip', 'rule', 'show');
  assert.match(ipRules, /^31000:\s+from all iif brq0 (\[detached\] )?lookup 1599/m);
  assert.match(ipRules, /^31001:\s+from all iif brq0 (\[detached\] )?prohibit/m);
  assert.match(ipRules, /^31002:\s+from all to 10\.1\.0\.0\/16 lookup 100/m);
  assert.match(inside(bridgeNs, 'ip', 'route', 'show', 'table', '1599'), /^prohibit 10\.55\.0\.0\/24/m);
  assert.deepEqual(nl.netlinkListRoutes(bridgeNs.fd).filter((r) => r.table === 1599).map((r) => ({ ...r })),
    [{ destination: '10.55.0.0/24', linkIndex: 0, table: 1599, type: 'prohibit' }]);

  assert.throws(() => nl.netlinkAddRule(bridgeNs.fd, 31000, 'lookup', 1599, 'brq0', null), { code: 'EEXIST', message: /^EEXIST: file exists, creating rule 'pref 31000'/ });
  assert.throws(() => nl.netlinkAddRoute(bridgeNs.fd, '10.55.0.0/24', null, null, { table: 1599, type: 'prohibit' }), { code: 'EEXIST', message: /^EEXIST: file exists, adding route '10.55.0.0\/24'/ });
  assert.throws(() => nl.netlinkAddRoute(bridgeNs.fd, '10.56.0.0/24', '10.77.0.1', null, { table: 1599, type: 'prohibit' }), { name: 'TypeError', message: /no gateway or link/ });
  assert.throws(() => nl.netlinkAddRoute(bridgeNs.fd, '10.56.0.0/24', null, null, { type: 'nat' as 'prohibit' }), { name: 'TypeError', message: /type must be/ });
  assert.throws(() => nl.netlinkAddRule(bridgeNs.fd, 31003, 'jump' as 'lookup', 1, null, null), { name: 'TypeError', message: /action must be/ });
  assert.throws(() => nl.netlinkAddRule(bridgeNs.fd, 31003, 'lookup', 0, null, null), { name: 'TypeError', message: /needs a table/ });

  // Deleting matches the rule exactly: the same priority with another table is another rule.
  assert.throws(() => nl.netlinkDeleteRule(bridgeNs.fd, 31000, 'lookup', 1598, 'brq0', null), { code: 'ENOENT', message: /^ENOENT: no such file or directory, deleting rule 'pref 31000'/ });
  nl.netlinkDeleteRule(bridgeNs.fd, 31000, 'lookup', 1599, 'brq0', null);
  nl.netlinkDeleteRule(bridgeNs.fd, 31001, 'prohibit', 0, 'brq0', null);
  nl.netlinkDeleteRule(bridgeNs.fd, 31002, 'lookup', 100, null, '10.1.0.0/16');
  assert.deepEqual(berthRules(), []);
  // A route is deleted from its own table only.
  assert.throws(() => nl.netlinkDeleteRoute(bridgeNs.fd, '10.55.0.0/24'), { code: 'ESRCH', message: /^ESRCH: no such process, deleting route '10.55.0.0\/24'/ });
  nl.netlinkDeleteRoute(bridgeNs.fd, '10.55.0.0/24', { table: 1599 });
  assert.equal(nl.netlinkListRoutes(bridgeNs.fd).some((r) => r.table === 1599), false);
  nl.netlinkAddRoute(b.fd, '10.98.0.0/16', '10.77.0.1', null);
  nl.netlinkDeleteRoute(b.fd, '10.98.0.0/16');
  assert.equal(nl.netlinkListRoutes(b.fd).some((r) => r.destination === '10.98.0.0/16'), false);
});

test('links and addresses are listed with their kind; a MAC set on a bridge is kept', () => {
  const nl = native();
  nl.netlinkCreateBridge(bridgeNs.fd, 'brq1', 0);
  nl.netlinkSetLinkAddress(bridgeNs.fd, 'brq1', '02:00:00:00:00:01');
  nl.netlinkAddAddress(bridgeNs.fd, 'brq1', '10.66.0.1/24');
  const links = nl.netlinkListLinks(bridgeNs.fd);
  const brq1 = links.find((l) => l.name === 'brq1');
  assert.deepEqual({ ...brq1 }, { ...nl.netlinkLink(bridgeNs.fd, 'brq1') });
  assert.equal(brq1?.kind, 'bridge');
  assert.equal(brq1?.mac, '02:00:00:00:00:01');
  assert.equal(links.find((l) => l.name === 'lo')?.kind, '');
  assert.deepEqual(links.filter((l) => l.kind === 'veth').map((l) => l.name), ['vethb']);
  assert.deepEqual(nl.netlinkListAddresses(bridgeNs.fd).filter((a) => a.linkIndex === brq1!.index).map((a) => ({ ...a })),
    [{ linkIndex: brq1!.index, address: '10.66.0.1/24' }]);
  assert.match(inside(bridgeNs, 'ip', '-o', 'link', 'show', 'brq1'), /link\/ether 02:00:00:00:00:01/);
  // A port with a lower MAC joins: the bridge keeps the one it was given.
  nl.netlinkCreateVeth(bridgeNs.fd, 'vethq', 'vethq-peer', 0, null);
  nl.netlinkSetLinkAddress(bridgeNs.fd, 'vethq', '00:00:00:00:00:09');
  nl.netlinkSetLinkMaster(bridgeNs.fd, 'vethq', 'brq1');
  assert.equal(nl.netlinkLink(bridgeNs.fd, 'brq1').mac, '02:00:00:00:00:01');
  nl.netlinkDeleteLink(bridgeNs.fd, 'vethq');
  assert.throws(() => nl.netlinkSetLinkAddress(bridgeNs.fd, 'brq1', '02:00:00:00:01'), { name: 'TypeError', message: /invalid MAC address "02:00:00:00:01"/ });
  assert.throws(() => nl.netlinkSetLinkAddress(bridgeNs.fd, 'brq1', '02:00:00:00:00:0g'), { name: 'TypeError', message: /invalid MAC address/ });
});

test('an endpoint is joined in one call: veth on the bridge, the peer named, addressed and routed in its namespace; a failure leaves nothing', () => {
  const nl = native();
  nl.netlinkSetLinkUp(bridgeNs.fd, 'brq1', true);
  nl.netlinkJoinEndpoint(bridgeNs.fd, 'brq1', 'vethj1', a.fd, 'eth1', '02:42:0a:42:00:02', 1400, '10.66.0.2/24', '10.66.0.1');
  const bridge = nl.netlinkLink(bridgeNs.fd, 'brq1');
  const host = nl.netlinkLink(bridgeNs.fd, 'vethj1');
  assert.equal(host.master, bridge.index);
  assert.equal(host.up, true);
  assert.equal(host.mtu, 1400);
  const eth1 = nl.netlinkLink(a.fd, 'eth1');
  assert.deepEqual([eth1.kind, eth1.mac, eth1.mtu, eth1.up], ['veth', '02:42:0a:42:00:02', 1400, true]);
  assert.match(inside(a, 'ip', '-o', '-4', 'addr', 'show', 'eth1'), /inet 10\.66\.0\.2\/24 brd 10\.66\.0\.255/);
  assert.ok(ping(a, '10.66.0.1'), 'the new interface reaches its gateway');
  // a already had a default route (through eth0): the second one is refused and undone.
  assert.throws(() => nl.netlinkJoinEndpoint(bridgeNs.fd, 'brq1', 'vethj2', a.fd, 'eth2', '02:42:0a:42:00:03', 0, '10.66.0.3/24', '10.66.0.1'),
    { code: 'EEXIST', message: /^EEXIST: file exists, adding route 'default'/ });
  // The same name twice in the container, or a gateway outside the subnet: refused, nothing left.
  assert.throws(() => nl.netlinkJoinEndpoint(bridgeNs.fd, 'brq1', 'vethj2', a.fd, 'eth1', '02:42:0a:42:00:03', 0, '10.66.0.3/24', null), { code: 'EEXIST' });
  assert.throws(() => nl.netlinkJoinEndpoint(bridgeNs.fd, 'brq1', 'vethj2', b.fd, 'eth2', '02:42:0a:42:00:03', 0, '10.66.0.3/24', '10.99.0.1'),
    { code: 'ENETUNREACH', message: /^ENETUNREACH: network is unreachable, adding route 'default'/ });
  assert.deepEqual(nl.netlinkListLinks(b.fd).map((l) => l.name).sort(), ['eth0', 'lo']);
  assert.throws(() => nl.netlinkJoinEndpoint(bridgeNs.fd, 'nobridge', 'vethj2', a.fd, 'eth2', '02:42:0a:42:00:03', 0, '10.66.0.3/24', null),
    { code: 'ENODEV', message: /^ENODEV: no such device, joining bridge 'nobridge'/ });
  assert.throws(() => nl.netlinkJoinEndpoint(bridgeNs.fd, 'brq1', 'vethj2', null as unknown as number, 'eth2', '02:42:0a:42:00:03', 0, '10.66.0.3/24', null), { name: 'TypeError' });
  assert.deepEqual(nl.netlinkListLinks(a.fd).map((l) => l.name).sort(), ['eth1', 'lo']); // (its eth0 went with vetha)
  assert.equal(nl.netlinkListLinks(bridgeNs.fd).some((l) => l.name === 'vethj2'), false);
  nl.netlinkDeleteLink(a.fd, 'eth1');
  assert.throws(() => nl.netlinkLink(bridgeNs.fd, 'vethj1'), { code: 'ENODEV' });
  nl.netlinkDeleteLink(bridgeNs.fd, 'brq1');
});
