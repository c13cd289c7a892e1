// Issue 5's cleanup: 100 sequential `docker run --rm` through the real docker CLI, alternating the default bridge with a
// published port (-p 127.0.0.1::80), a user network and --network none, then `network rm` of the user network, leave
// nothing behind: no veth, no bridge, no policy rule or table-1599 route of the removed network, no mount, no
// listener of the userland proxy or the network's DNS server, no daemon fd, no zombie. Other helpers' daemons run
// on this host at the same time, so every probe looks at what this daemon made (its bridges, its subnet, its pid)
// and never at the host's totals. Reading `ip` and `ss` output here is fine; berth itself never runs them.
// After a clean daemon stop the default bridge (a test daemon's own, never berth0) is gone as well: unlike dockerd,
// which keeps docker0, berthd removes at shutdown every bridge no running container uses and makes it again at start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { containersMissing, hostTraces, parentOf, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import { testBridge } from '../helpers/berthd.ts';

const skip = containersMissing();
const RUNS = Number(process.env.BERTH_NETWORK_CLEANUP_RUNS ?? 100);
const NETWORK = 'cleanup-net';
// A /24 of its own, so that no other daemon on the host picks it while the test looks for its leftovers.
const SUBNET = `10.157.${(process.pid % 250) + 1}.0/24`;
const ISOLATION_TABLE = '1599';
const isBerthPriority = (p: number) => p >= 31000 && p <= 31099;

type ContainerDaemon = Awaited<ReturnType<typeof startContainerDaemon>>;

const ip = <T>(...args: string[]): T[] => JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8' }) || '[]') as T[];

interface Link { ifname: string; master?: string }
const veths = () => ip<Link>('link', 'show', 'type', 'veth');
const linkExists = (name: string) => ip<Link>('link', 'show').some((l) => l.ifname === name);
const berthRules = () => ip<{ priority: number; iif?: string; table?: string; action?: string }>('rule', 'show')
  .filter((r) => isBerthPriority(r.priority));
const isolationRoutes = () => ip<{ dst: string; type?: string }>('route', 'show', 'table', ISOLATION_TABLE).map((r) => r.dst);

/** `host:port` of the TCP (or UDP) sockets process `pid` listens on. */
function listeners(pid: number, proto: 'tcp' | 'udp'): string[] {
  const out = execFileSync('ss', ['-Hlnp', proto === 'tcp' ? '-t' : '-u'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`pid=${pid},`)).map((l) => l.trim().split(/\s+/)[3]!);
}

describe('networks leave nothing behind', { skip }, () => {
  let d: ContainerDaemon;
  let bridge: string;
  let userBridge: string;
  let gateway: string;
  // The kernel deletes a container's veth when its network namespace dies, a moment after the container exits.
  const onBridges = () => veths().filter((l) => l.master === bridge || l.master === userBridge).map((l) => l.ifname);
  const ok = async (...args: string[]) => {
    const r = await d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\ndaemon log:\n${d.logs().slice(-3000)}`);
    return r.stdout;
  };

  before(async () => {
    d = await startContainerDaemon();
    bridge = testBridge(d.dataRoot);
    await waitUntil('the built-in busybox', async () => (await d.docker(['image', 'inspect', 'busybox'])).code === 0, 30_000);
    const id = (await ok('network', 'create', '--subnet', SUBNET, NETWORK)).trim();
    userBridge = `br-${id.slice(0, 12)}`;
    gateway = (await ok('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Gateway}}{{end}}', NETWORK)).trim();
  });
  after(async () => {
    if (!d) return;
    const ids = (await d.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await d.docker(['rm', '-f', ...ids]);
    await d.docker(['network', 'rm', NETWORK]);
    await d.cleanup();
  });

  // The probes below must see what a container holds, or their empty answers after the runs prove nothing.
  test('the probes see a running container\'s veths, published port, rules, route and DNS server', async () => {
    const web = (await ok('run', '-d', '-p', '127.0.0.1::80', 'busybox', 'sleep', '300')).trim();
    const peer = (await ok('run', '-d', '--network', NETWORK, 'busybox', 'sleep', '300')).trim();
    const port = (await ok('port', web, '80/tcp')).trim();
    assert.match(port, /^127\.0\.0\.1:\d+$/);
    const pid = d.process.pid!;
    assert.deepEqual(veths().filter((l) => l.master === bridge).length, 1, 'one veth on the default bridge');
    assert.deepEqual(veths().filter((l) => l.master === userBridge).length, 1, `one veth on ${userBridge}`);
    assert.ok(listeners(pid, 'tcp').includes(port), `the proxy listens on ${port}: ${listeners(pid, 'tcp').join(', ')}`);
    assert.ok(listeners(pid, 'tcp').includes(`${gateway}:53`), 'the DNS server listens on the gateway (TCP)');
    assert.ok(listeners(pid, 'udp').includes(`${gateway}:53`), 'the DNS server listens on the gateway (UDP)');
    assert.ok(berthRules().some((r) => r.iif === userBridge && r.table === ISOLATION_TABLE), `a rule for ${userBridge}`);
    assert.ok(isolationRoutes().includes(SUBNET), `table ${ISOLATION_TABLE} prohibits ${SUBNET}`);
    await ok('rm', '-f', web, peer);
    await waitUntil('the published port to close', () => !listeners(pid, 'tcp').includes(port));
    await waitUntil('the kernel to delete the veths with the namespaces', () => onBridges().length === 0);
  });

  test(`${RUNS} run --rm on the default bridge with a published port, a user network and none, then network rm`, { timeout: 180_000 }, async () => {
    const pid = d.process.pid!;
    const fds = () => readdirSync(`/proc/${pid}/fd`).length;
    const tcpBefore = listeners(pid, 'tcp');
    const udpBefore = listeners(pid, 'udp');
    const vethsBefore = new Set(veths().map((l) => l.ifname));
    // One run of each kind first, so lazily opened daemon files (stores, sockets) are not counted as leaks.
    const modes = [['-p', '127.0.0.1::80'], ['--network', NETWORK], ['--network', 'none']];
    for (const m of modes) await ok('run', '--rm', ...m, 'busybox', 'true');
    const fdsBefore = fds();
    for (let i = 0; i < RUNS; i++) await ok('run', '--rm', ...modes[i % modes.length]!, 'busybox', 'true');
    assert.equal(await ok('ps', '-aq'), '');
    await waitUntil('the kernel to delete the veths with the namespaces', () => onBridges().length === 0, 5000)
      .catch(() => assert.fail(`veths left on the bridges: ${onBridges().join(', ')}`));
    await ok('network', 'rm', NETWORK);

    assert.equal(linkExists(userBridge), false, `${userBridge} is deleted`);
    assert.ok(linkExists(bridge), `the default bridge ${bridge} stays while the daemon runs`);
    // A veth of this daemon that outlived its namespace would have lost its bridge with `network rm`: master-less and
    // new. Other daemons' veths come and go meanwhile (on their own bridges), so only the master-less new ones count.
    await waitUntil('no new veth without a bridge', () => veths().every((l) => vethsBefore.has(l.ifname) || l.master), 5000)
      .catch(() => assert.fail(`veths left: ${JSON.stringify(veths().filter((l) => !vethsBefore.has(l.ifname) && !l.master))}`));
    assert.deepEqual(berthRules().filter((r) => r.iif === userBridge), [], `no berth rule for ${userBridge}`);
    assert.deepEqual(berthRules().filter((r) => r.iif === bridge).map((r) => r.priority), [31000], 'the default bridge keeps its one rule');
    assert.equal(isolationRoutes().includes(SUBNET), false, `no table-${ISOLATION_TABLE} route for ${SUBNET}`);
    // Before the runs the daemon listened on the network's DNS server only (the default bridge has none).
    const dns = `${gateway}:53`;
    assert.deepEqual(tcpBefore, [dns]);
    assert.deepEqual(udpBefore, [dns]);
    assert.deepEqual(listeners(pid, 'tcp'), [], 'no TCP listener left by the proxy or the DNS server');
    assert.deepEqual(listeners(pid, 'udp'), [], 'no UDP listener left by the DNS server');

    await waitUntil('shims to exit', () => hostTraces([d.execRoot]).shims.length === 0);
    const traces = hostTraces([d.dataRoot, d.execRoot]);
    assert.deepEqual(traces.mounts, [], 'no mount under the data or exec root');
    assert.deepEqual(traces.zombies.filter((z) => parentOf(z) === pid), [], 'the daemon reaps what it spawns');
    assert.ok(fds() <= fdsBefore + 2, `daemon fds: ${fdsBefore} before, ${fds()} after`);

    const bridgeSubnet = (await ok('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'bridge')).trim();
    assert.ok(isolationRoutes().includes(bridgeSubnet), `table ${ISOLATION_TABLE} prohibits the default bridge's ${bridgeSubnet}`);
    assert.equal(await d.stop(), 0);
    assert.equal(linkExists(bridge), false, 'a clean stop removes the default bridge no container uses');
    assert.deepEqual(berthRules().filter((r) => r.iif === bridge || r.iif === userBridge), [], 'and its rule');
    // Another daemon starting meanwhile may take the freed subnet for its own bridge (then the route is its own).
    const routedAgain = ip<{ dst: string }>('route', 'show', 'table', 'main').some((r) => r.dst === bridgeSubnet);
    if (!routedAgain) assert.equal(isolationRoutes().includes(bridgeSubnet), false, `and its table-${ISOLATION_TABLE} route`);
  });
});
