// Issue 5's networks end to end, through the real docker CLI against a berthd of the test and its built-in busybox:
// two containers on a user network reach each other by name (httpd + wget, nc); a published port is reachable from
// the host with Node's http client and released when the container stops; two user networks are isolated from each
// other and an --internal network from the default bridge; `network rm` with attached containers is refused with
// dockerd's text (compared with a real dockerd); after a daemon restart the networks, their bridges, a running
// container's name and its published port still work. As root; traffic only to loopback and the test's own networks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { containersMissing, startContainerDaemon } from '../helpers/containers.ts';
import { dockerdMissing, startDockerd, type TestDockerd } from '../helpers/dockerd.ts';
import { freePort, waitFor } from '../helpers/ports.ts';
import { tempDir, removeDir } from '../helpers/tmp.ts';
import type { RunResult } from '../helpers/docker-cli.ts';

const skip = containersMissing();

type ContainerDaemon = Awaited<ReturnType<typeof startContainerDaemon>>;

// busybox httpd serving one file; `exec` so that a stop's SIGTERM reaches it.
const HTTPD = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];
// wget from inside a container, retried while the server comes up (its name must already resolve). Debian's
// busybox 1.35 wget segfaults with -T, so `timeout` bounds each try.
const fetchIn = (url: string) => ['sh', '-c', `for i in $(seq 100); do timeout 2 wget -qO- ${url} && exit 0; sleep 0.1; done; exit 1`];

/** GET http://127.0.0.1:port/ from the host; the body. */
function hostGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; });
      res.once('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
  });
}

/** Whether this process can listen on 127.0.0.1:port (nobody holds it). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The IPv4 addresses (CIDR) of a host link, or undefined when the link does not exist. */
function linkAddresses(name: string): string[] | undefined {
  try {
    const [link] = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show', 'dev', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as
      { addr_info: { local: string; prefixlen: number }[] }[];
    return (link?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  } catch {
    return undefined;
  }
}

describe('networks end to end through the docker CLI', { skip }, () => {
  let d: ContainerDaemon;
  let first: ContainerDaemon | undefined;
  const docker = (...args: string[]) => d.docker(args);
  const ok = async (...args: string[]) => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\ndaemon log:\n${d.logs().slice(-3000)}`);
    return r.stdout;
  };
  const ipOf = async (container: string, network: string) =>
    (await ok('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container)).trim();
  const networkId = async (name: string) => (await ok('network', 'inspect', '-f', '{{.Id}}', name)).trim();

  before(async () => { d = await startContainerDaemon(); });
  after(async () => {
    if (d) {
      const ids = (await docker('ps', '-aq')).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker('rm', '-f', ...ids);
      for (const n of ['e2e-n1', 'e2e-n2', 'e2e-int']) await docker('network', 'rm', n);
      await d.cleanup();
    }
    if (first && first !== d) await first.cleanup();
  });

  test('two containers on a user network reach each other by name: httpd + wget, and nc', async () => {
    await ok('network', 'create', 'e2e-n1');
    await ok('run', '-d', '--name', 'web', '--network', 'e2e-n1', 'busybox', ...HTTPD('hello-from-web'));
    assert.equal(await ok('run', '--rm', '--network', 'e2e-n1', 'busybox', ...fetchIn('http://web/')), 'hello-from-web\n');

    // Raw TCP the other way round: the client connects by name, the listener prints what it got and exits.
    await ok('run', '-d', '--name', 'listener', '--network', 'e2e-n1', 'busybox', 'nc', '-l', '-p', '7000');
    await ok('run', '--rm', '--network', 'e2e-n1', 'busybox', 'sh', '-c',
      'for i in $(seq 100); do echo ping-by-name | nc -w 2 listener 7000 && exit 0; sleep 0.1; done; exit 1');
    assert.equal((await ok('wait', 'listener')).trim(), '0');
    assert.equal(await ok('logs', 'listener'), 'ping-by-name\n');
    await ok('rm', 'listener');

    // The default bridge keeps dockerd's behaviour: no names.
    const noName = await docker('run', '--rm', 'busybox', 'nslookup', 'web');
    assert.notEqual(noName.code, 0, `a container on the default bridge resolved 'web': ${noName.stdout}`);
  });

  test('a published port is reachable from the host, shown by docker port, refused when taken, released at stop', async () => {
    const port = await freePort();
    await ok('run', '-d', '--name', 'pub', '--network', 'e2e-n1', '-p', `127.0.0.1:${port}:80`, 'busybox', ...HTTPD('hello-from-pub'));
    await waitFor(`http://127.0.0.1:${port}/`, async () => (await hostGet(port)) === 'hello-from-pub\n');
    assert.equal(await ok('port', 'pub', '80'), `127.0.0.1:${port}\n`);

    // -p with no host port: an ephemeral one from dockerd's range.
    await ok('run', '-d', '--name', 'ephemeral', '-p', '127.0.0.1::80', 'busybox', ...HTTPD('hello-from-ephemeral'));
    const shown = (await ok('port', 'ephemeral', '80/tcp')).trim();
    const m = /^127\.0\.0\.1:(\d+)$/.exec(shown);
    assert.ok(m, `docker port printed ${JSON.stringify(shown)}`);
    const ephemeral = Number(m[1]);
    assert.ok(ephemeral >= 32768 && ephemeral <= 60999, `${ephemeral} is outside 32768-60999`);
    await waitFor(`http://127.0.0.1:${ephemeral}/`, async () => (await hostGet(ephemeral)) === 'hello-from-ephemeral\n');

    // berth holds the port: dockerd's portallocator text.
    const taken = await docker('run', '-d', '--name', 'pub2', '-p', `127.0.0.1:${port}:80`, 'busybox', 'true');
    assert.equal(taken.code, 125);
    assert.match(taken.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated`));
    await ok('rm', '-f', 'pub2');

    // Another process holds it: the userland proxy's bind error, and nothing left of the container's start.
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const held = (holder.address() as net.AddressInfo).port;
    try {
      const busy = await docker('run', '-d', '--name', 'busy', '-p', `127.0.0.1:${held}:80`, 'busybox', 'sleep', '60');
      assert.equal(busy.code, 125);
      assert.match(busy.stderr, new RegExp(`driver failed programming external connectivity on endpoint busy \\([0-9a-f]{64}\\): ` +
        `Error starting userland proxy: listen tcp4 127\\.0\\.0\\.1:${held}: bind: address already in use`));
      assert.equal((await ok('inspect', '-f', '{{.State.Running}}', 'busy')).trim(), 'false');
    } finally {
      holder.close();
    }
    await ok('rm', '-f', 'busy');

    await ok('stop', 'ephemeral');
    await ok('stop', 'pub');
    await waitFor(`127.0.0.1:${port} to be free again`, () => canListen(port));
    await waitFor(`127.0.0.1:${ephemeral} to be free again`, () => canListen(ephemeral));
    await ok('rm', 'pub', 'ephemeral');
  });

  test('two user networks are isolated; an --internal network does not reach the default bridge', async () => {
    await ok('network', 'create', 'e2e-n2');
    const webIp = await ipOf('web', 'e2e-n1');
    // The control: the address answers from its own network...
    assert.equal(await ok('run', '--rm', '--network', 'e2e-n1', 'busybox', 'timeout', '3', 'wget', '-qO-', `http://${webIp}/`), 'hello-from-web\n');
    // ...and not from another one.
    const across = await docker('run', '--rm', '--network', 'e2e-n2', 'busybox', 'timeout', '3', 'wget', '-qO-', `http://${webIp}/`);
    assert.notEqual(across.code, 0, `e2e-n2 reached ${webIp} on e2e-n1: ${across.stdout}`);
    assert.doesNotMatch(across.stdout, /hello-from-web/);

    await ok('run', '-d', '--name', 'onbridge', 'busybox', ...HTTPD('hello-from-bridge'));
    const bridgeIp = (await ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'onbridge')).trim();
    assert.match(bridgeIp, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(await ok('run', '--rm', 'busybox', ...fetchIn(`http://${bridgeIp}/`)), 'hello-from-bridge\n');
    await ok('network', 'create', '--internal', 'e2e-int');
    const internal = await docker('run', '--rm', '--network', 'e2e-int', 'busybox', 'timeout', '3', 'wget', '-qO-', `http://${bridgeIp}/`);
    assert.notEqual(internal.code, 0, `the internal network reached ${bridgeIp}: ${internal.stdout}`);
    // Inside the internal network, names and addresses still work.
    await ok('run', '-d', '--name', 'inside', '--network', 'e2e-int', 'busybox', ...HTTPD('hello-inside'));
    assert.equal(await ok('run', '--rm', '--network', 'e2e-int', 'busybox', ...fetchIn('http://inside/')), 'hello-inside\n');
    await ok('rm', '-f', 'onbridge', 'inside');
  });

  test('network rm with an attached container is refused with dockerd\'s text', async () => {
    const id = await networkId('e2e-n1');
    const r = await docker('network', 'rm', 'e2e-n1');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error response from daemon: error while removing network: network e2e-n1 id ${id} has active endpoints\nexit status 1\n`);
    assert.equal(await networkId('e2e-n1'), id, 'the network is still there');
    assert.ok(linkAddresses(`br-${id.slice(0, 12)}`), 'its bridge is still there');
    // An empty one goes, with its bridge.
    const n2 = await networkId('e2e-n2');
    assert.equal(await ok('network', 'rm', 'e2e-n2'), 'e2e-n2\n');
    assert.equal(linkAddresses(`br-${n2.slice(0, 12)}`), undefined, 'the removed network\'s bridge is gone');
  });

  test('after a daemon restart: networks, bridges, a running container\'s name and published port still work', async () => {
    const port = await freePort();
    await ok('run', '-d', '--name', 'kept', '--network', 'e2e-n1', '-p', `127.0.0.1:${port}:80`, 'busybox', ...HTTPD('hello-kept'));
    await waitFor(`http://127.0.0.1:${port}/`, async () => (await hostGet(port)) === 'hello-kept\n');
    const id = await networkId('e2e-n1');
    const bridge = `br-${id.slice(0, 12)}`;
    const subnet = (await ok('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}', 'e2e-n1')).trim();
    const addresses = linkAddresses(bridge);
    assert.ok(addresses?.length, `${bridge} has no address`);
    const keptIp = await ipOf('kept', 'e2e-n1');

    await d.stop();
    first = d;
    d = await startContainerDaemon({ dataRoot: first.dataRoot, execRoot: first.shortExecRoot });

    assert.equal(await networkId('e2e-n1'), id);
    assert.equal((await ok('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}', 'e2e-n1')).trim(), subnet);
    assert.deepEqual(linkAddresses(bridge), addresses, 'the bridge was adopted with its address');
    assert.equal((await ok('inspect', '-f', '{{.State.Running}}', 'kept')).trim(), 'true');
    assert.equal(await ipOf('kept', 'e2e-n1'), keptIp);
    await waitFor(`http://127.0.0.1:${port}/ after the restart`, async () => (await hostGet(port)) === 'hello-kept\n');
    assert.equal(await ok('run', '--rm', '--network', 'e2e-n1', 'busybox', ...fetchIn('http://kept/')), 'hello-kept\n');
    assert.equal(await ok('run', '--rm', '--network', 'e2e-n1', 'busybox', ...fetchIn('http://web/')), 'hello-from-web\n');
    await ok('rm', '-f', 'kept', 'web');
    assert.equal(await ok('network', 'rm', 'e2e-n1'), 'e2e-n1\n');
    assert.equal(linkAddresses(bridge), undefined);
  });
});

describe('network error texts: berthd and dockerd side by side', { skip: skip || (dockerdMissing() ?? false) }, () => {
  let d: ContainerDaemon;
  let k: TestDockerd;
  let saved: string;

  before(async () => {
    saved = await tempDir('e2e-busybox-');
    [d, k] = await Promise.all([startContainerDaemon(), startDockerd()]);
    await waitFor('the built-in busybox', async () => (await d.docker(['image', 'inspect', 'busybox'])).code === 0);
    assert.equal((await d.docker(['save', '-o', `${saved}/busybox.tar`, 'busybox'])).code, 0);
    await k.dockerOk(['load', '-i', `${saved}/busybox.tar`]);
  });
  after(async () => {
    await Promise.all([d, k].map(async (x) => {
      if (!x) return;
      await x.docker(['rm', '-f', 'att']);
      await x.docker(['network', 'rm', 'cmp-n']);
      await x.cleanup();
    }));
    await removeDir(saved);
  });

  test('network rm with an attached container, an unknown network, a duplicate name', async () => {
    const both = async (args: string[]): Promise<[RunResult, RunResult]> => [await d.docker(args), await k.docker(args)];
    const norm = (r: RunResult) => ({ code: r.code, stdout: r.stdout.replace(/\b[0-9a-f]{64}\b/g, '<id>'), stderr: r.stderr.replace(/\b[0-9a-f]{64}\b/g, '<id>') });
    const same = async (args: string[]) => {
      const [b, o] = await both(args);
      assert.deepEqual(norm(b), norm(o), `docker ${args.join(' ')}`);
      return norm(b);
    };
    // Each picks its own subnet (and avoids the other's, which the host routes by then).
    await same(['network', 'create', 'cmp-n']);
    await same(['run', '-d', '--name', 'att', '--network', 'cmp-n', 'busybox', 'sleep', '600']);
    const rm = await same(['network', 'rm', 'cmp-n']);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /has active endpoints/);
    await same(['network', 'create', 'cmp-n']);
    await same(['run', '--rm', '--network', 'nosuch-net', 'busybox', 'true']);
    await same(['network', 'rm', 'nosuch-net']);
  });
});

describe('network names, connect/disconnect and a full address range through the docker CLI', { skip }, () => {
  let d: ContainerDaemon;
  const docker = (...args: string[]) => d.docker(args);
  const ok = async (...args: string[]) => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\ndaemon log:\n${d.logs().slice(-3000)}`);
    return r.stdout;
  };
  /** Whether `name` answers a ping from inside `container` (its name resolved by the network's DNS server). */
  const reaches = async (container: string, name: string) => (await docker('exec', container, 'ping', '-c', '1', '-W', '2', name)).code === 0;
  const vethCount = () => (JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'type', 'veth'], { encoding: 'utf8' })) as unknown[]).length;

  before(async () => { d = await startContainerDaemon(); });
  after(async () => {
    if (!d) return;
    const ids = (await docker('ps', '-aq')).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker('rm', '-f', ...ids);
    for (const n of ['e2e-a', 'e2e-b', 'e2e-small']) await docker('network', 'rm', n);
    await d.cleanup();
  });

  test('aliases resolve; connect adds the names on the new network, disconnect removes them, rm forgets them', async () => {
    await ok('network', 'create', 'e2e-a');
    await ok('network', 'create', 'e2e-b');
    await ok('run', '-d', '--name', 'c1', '--network', 'e2e-a', '--network-alias', 'svc', 'busybox', 'sleep', '600');
    await ok('run', '-d', '--name', 'c2', '--network', 'e2e-b', 'busybox', 'sleep', '600');
    assert.ok(await reaches('c1', 'svc'), 'c1 reaches itself by its alias');
    assert.ok(!(await reaches('c2', 'c1')), 'c2, on another network, resolves c1');

    await ok('network', 'connect', '--alias', 'second', 'e2e-a', 'c2');
    assert.match(await ok('exec', 'c2', 'ip', '-o', '-4', 'addr'), /eth1/);
    assert.ok(await reaches('c2', 'c1'), 'c2 reaches c1 once connected to its network');
    assert.ok(await reaches('c2', 'svc'));
    assert.ok(await reaches('c1', 'second'), 'c1 reaches c2 by the alias given at connect');
    assert.match(await ok('network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'e2e-a'), /c1 .*c2|c2 .*c1/);

    await ok('network', 'disconnect', 'e2e-a', 'c2');
    assert.ok(!(await reaches('c1', 'second')), 'the alias is gone after disconnect');
    assert.ok(!(await reaches('c1', 'c2')));
    assert.doesNotMatch(await ok('exec', 'c2', 'ip', '-o', '-4', 'addr'), /eth1/);

    await ok('rm', '-f', 'c2');
    await ok('run', '-d', '--name', 'c3', '--network', 'e2e-a', 'busybox', 'sleep', '600');
    assert.ok(await reaches('c3', 'c1'));
    await ok('rm', '-f', 'c1');
    assert.ok(!(await reaches('c3', 'svc')), 'a removed container\'s alias no longer resolves');
    await ok('rm', '-f', 'c3');
  });

  test('legacy links are refused with what to do instead', async () => {
    const r = await docker('run', '--rm', '--link', 'c1:db', 'busybox', 'true');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /berth does not support legacy container links \(--link\): put the containers on a user-defined network/);
  });

  test('--mac-address gives the endpoint that MAC, kept across a restart of the container', async () => {
    await ok('run', '-d', '--name', 'mac', '--network', 'e2e-a', '--mac-address', '02:aa:bb:cc:dd:ee', 'busybox', 'sleep', '600');
    assert.equal(await ok('exec', 'mac', 'cat', '/sys/class/net/eth0/address'), '02:aa:bb:cc:dd:ee\n');
    await ok('restart', '-t', '0', 'mac');
    assert.equal(await ok('exec', 'mac', 'cat', '/sys/class/net/eth0/address'), '02:aa:bb:cc:dd:ee\n');
    assert.equal((await ok('inspect', '-f', '{{(index .NetworkSettings.Networks "e2e-a").MacAddress}}', 'mac')).trim(), '02:aa:bb:cc:dd:ee');
    await ok('rm', '-f', 'mac');
  });

  test('a full address range refuses the next start with dockerd\'s text and leaves no interface behind', async () => {
    // A /29: the gateway and five containers.
    await ok('network', 'create', '--subnet', '10.231.7.0/29', 'e2e-small');
    for (let i = 0; i < 5; i++) await ok('run', '-d', '--name', `s${i}`, '--network', 'e2e-small', 'busybox', 'sleep', '600');
    const before = vethCount();
    const r = await docker('run', '-d', '--name', 'full', '--network', 'e2e-small', 'busybox', 'sleep', '600');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /no available IPv4 addresses on this network's address pools: e2e-small \([0-9a-f]{64}\)/);
    assert.equal((await ok('inspect', '-f', '{{.State.Status}}', 'full')).trim(), 'created');
    assert.equal(vethCount(), before, 'the failed start left a veth');
    // A freed address is taken by the next start.
    await ok('rm', '-f', 's0');
    await ok('start', 'full');
    assert.match((await ok('inspect', '-f', '{{(index .NetworkSettings.Networks "e2e-small").IPAddress}}', 'full')).trim(), /^10\.231\.7\.[2-6]$/);
  });
});
