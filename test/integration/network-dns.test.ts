// The embedded DNS server of a network on its gateway, port 53: two bridges this test makes on the
// host (`bt-` names, 10.250.x.0/24 subnets, one of them internal) with the native addon, a network
// namespace (an `unshare -n` child) joined to both by veth pairs, and queries from inside it with
// dns-packet over UDP and TCP and with busybox nslookup. Unknown names go to a loopback upstream
// this test runs; an internal network answers SERVFAIL instead. As root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import * as dnsPacket from 'dns-packet';
import { native } from '../../host-linux/native/index.ts';
import { hostRoutes } from '../../host-linux/net/host-routes.ts';
import { startNetworkDns } from '../../host-linux/net/network-dns.ts';
import { ServiceRecords } from '../../core/network/dns/service-records.ts';
import type { DnsClient } from '../../core/network/dns/resolver.ts';
import type { BridgeNetworkSpec, NetworkDnsServer } from '../../core/engine/networks/host.ts';
import { parseIpv4Prefix, prefixesOverlap } from '../../core/network/ipv4.ts';

const run = promisify(execFile);
const skip = typeof process.getuid === 'function' && process.getuid() !== 0 ? 'needs root (bridges, namespaces, port 53)' : false;

const tag = (process.pid % 0xfffff).toString(16);
/** Two free /24s in 10.250.0.0/16 (the host routes none of them; other tests' bridges may hold some). */
function freeSubnets(): [string, string] {
  const routed = hostRoutes().map((r) => parseIpv4Prefix(r)).filter((p) => p !== undefined);
  const free: string[] = [];
  for (let i = 0; i < 256 && free.length < 2; i++) {
    const third = (process.pid + i * 7) % 200 + 20;
    const subnet = `10.250.${third}.0/24`;
    if (!free.includes(subnet) && !routed.some((r) => prefixesOverlap(r, parseIpv4Prefix(subnet)!))) free.push(subnet);
  }
  assert.equal(free.length, 2, 'no free 10.250.x.0/24 subnet');
  return free as [string, string];
}

function networkSpec(name: string, subnet: string, internal: boolean): BridgeNetworkSpec {
  const base = subnet.slice(0, subnet.lastIndexOf('.'));
  return { id: name.padEnd(64, '0'), name, bridge: `bt-${name}`.slice(0, 15), subnet, gateway: `${base}.1`, internal, mtu: 0 };
}

const [subnetA, subnetB] = skip ? ['', ''] : freeSubnets();
const open = networkSpec(`q4o${tag}`, subnetA || '10.250.0.0/24', false);
const closed = networkSpec(`q4i${tag}`, subnetB || '10.250.1.0/24', true);
const clientIp = (n: BridgeNetworkSpec) => n.gateway.replace(/\.1$/, '.2');
const hostVeth = (n: BridgeNetworkSpec) => `bt-v${n.name}`.slice(0, 15);

const records = new ServiceRecords();
let child: ChildProcess | undefined;
let nsFd: number | undefined;
let nsPid = 0;
let upstream: Socket;
let ownUpstream: Socket;
const servers: NetworkDnsServer[] = [];
let closedServer: NetworkDnsServer;
/** The clients the servers know, by source address: the "containers" of this test. */
const clients = new Map<string, DnsClient>();

/** A UDP resolver on loopback answering `name` with `ip` and NXDOMAIN otherwise. */
async function fakeUpstream(name: string, ip: string): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (message, remote) => {
    const query = dnsPacket.decode(message);
    const q = query.questions![0]!;
    const known = q.name === name && q.type === 'A';
    socket.send(dnsPacket.encode({
      type: 'response', id: query.id, flags: dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3), questions: query.questions,
      answers: known ? [{ type: 'A', name: q.name, ttl: 30, data: ip }] : [],
    }), remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

before(async () => {
  if (skip) return;
  const nl = native();
  child = spawn('unshare', ['-n', 'sh', '-c', 'echo ready; exec sleep 1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  nsPid = child.pid!;
  nsFd = openSync(`/proc/${nsPid}/ns/net`, 'r');
  nl.netlinkSetLinkUp(nsFd, 'lo', true);
  upstream = await fakeUpstream('outside.test', '192.0.2.7');
  ownUpstream = await fakeUpstream('outside.test', '198.51.100.9');
  const options = {
    records,
    client: (source: { address: string }) => clients.get(source.address),
    upstreams: [`127.0.0.1:${(upstream.address()).port}`],
  };
  for (const [i, network] of [open, closed].entries()) {
    nl.netlinkCreateBridge(null, network.bridge, 0);
    nl.netlinkAddAddress(null, network.bridge, `${network.gateway}/24`);
    // Right after the bridge got its address (still down, nothing attached): the bind must work.
    const server = await startNetworkDns(network, options);
    servers.push(server);
    if (network === closed) closedServer = server;
    nl.netlinkCreateVeth(null, hostVeth(network), `eth${i}`, 0, nsFd);
    nl.netlinkSetLinkMaster(null, hostVeth(network), network.bridge);
    for (const link of [network.bridge, hostVeth(network)]) nl.netlinkSetLinkUp(null, link, true);
    nl.netlinkAddAddress(nsFd, `eth${i}`, `${clientIp(network)}/24`);
    nl.netlinkSetLinkUp(nsFd, `eth${i}`, true);
  }
  clients.set(clientIp(open), { networks: [open.name] });
  clients.set(clientIp(closed), { networks: [closed.name] });
  records.add({ network: open.name, containerId: 'a1'.padEnd(64, 'a'), containerName: 'web', aliases: ['www'], ipv4: '10.0.0.10' });
  records.add({ network: open.name, containerId: 'b1'.padEnd(64, 'b'), containerName: 'db', ipv4: '10.0.0.11' });
  for (let i = 0; i < 40; i++) {
    records.add({ network: open.name, containerId: `c${i}`.padEnd(64, 'c'), containerName: `replica${i}`, aliases: ['crowd'], ipv4: `10.0.1.${i + 1}` });
  }
  records.add({ network: closed.name, containerId: 'd1'.padEnd(64, 'd'), containerName: 'vault', ipv4: '10.0.2.5' });
});

after(async () => {
  if (skip) return;
  await Promise.all(servers.map((s) => s.close()));
  upstream?.close();
  ownUpstream?.close();
  const nl = native();
  for (const network of [open, closed]) {
    for (const link of [hostVeth(network), network.bridge]) {
      try { nl.netlinkDeleteLink(null, link); } catch { /* not made, or gone with the namespace */ }
    }
  }
  if (nsFd !== undefined) closeSync(nsFd);
  child?.kill('SIGKILL');
});

// A query sent from inside the namespace: a node child there (nsenter) sends the bytes over UDP or
// TCP to the server and prints the answer's bytes in hex.
const ASK = `
const [proto, host, hex] = process.argv.slice(1);
const query = Buffer.from(hex, 'hex');
const fail = (e) => { console.error(String(e)); process.exit(1); };
setTimeout(() => fail('no answer'), 5000).unref();
if (proto === 'udp') {
  const s = require('node:dgram').createSocket('udp4');
  s.on('message', (m) => { process.stdout.write(m.toString('hex')); process.exit(0); });
  s.send(query, 53, host);
} else {
  const c = require('node:net').connect(53, host, () => { const l = Buffer.alloc(2); l.writeUInt16BE(query.length); c.write(Buffer.concat([l, query])); });
  let got = Buffer.alloc(0);
  c.on('error', fail);
  c.on('data', (d) => { got = Buffer.concat([got, d]); if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) { process.stdout.write(got.subarray(2).toString('hex')); process.exit(0); } });
}`;

type Answer = dnsPacket.DecodedPacket & { rcode: string };
async function ask(server: BridgeNetworkSpec, name: string, type: dnsPacket.RecordType, proto: 'udp' | 'tcp' = 'udp'): Promise<Answer> {
  const id = Math.floor(Math.random() * 65536);
  const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
  const { stdout } = await run('nsenter', ['-t', String(nsPid), '-n', process.execPath, '-e', ASK, proto, server.gateway, query.toString('hex')]);
  const answer = dnsPacket.decode(Buffer.from(stdout, 'hex')) as Answer;
  assert.equal(answer.id, id);
  return answer;
}

const data = (answer: dnsPacket.Packet) => (answer.answers ?? []).map((a) => String((a as dnsPacket.StringAnswer).data));

test('container names, aliases and name.network resolve from a namespace on the bridge', { skip }, async () => {
  assert.deepEqual(data(await ask(open, 'web', 'A')), ['10.0.0.10']);
  assert.deepEqual(data(await ask(open, 'www', 'A')), ['10.0.0.10']);
  assert.deepEqual(data(await ask(open, `db.${open.name}`, 'A')), ['10.0.0.11']);
  assert.deepEqual(data(await ask(open, 'a1aaaaaaaaaa', 'A')), ['10.0.0.10']);
  // A name on the other network is not this client's: it goes upstream, which does not know it either.
  assert.equal((await ask(open, 'vault', 'A')).rcode, 'NXDOMAIN');
  // busybox's resolver, as a container would use it.
  const { stdout } = await run('nsenter', ['-t', String(nsPid), '-n', 'busybox', 'nslookup', 'www', open.gateway]);
  assert.match(stdout, /Address:?\s+10\.0\.0\.10/);
});

test('names the network does not know go upstream and come back; a client\'s own --dns wins', { skip }, async () => {
  assert.deepEqual(data(await ask(open, 'outside.test', 'A')), ['192.0.2.7']);
  assert.equal((await ask(open, 'nowhere.test', 'A')).rcode, 'NXDOMAIN');
  clients.set(clientIp(open), { networks: [open.name], upstreams: [`127.0.0.1:${ownUpstream.address().port}`] });
  try {
    assert.deepEqual(data(await ask(open, 'outside.test', 'A')), ['198.51.100.9']);
    assert.deepEqual(data(await ask(open, 'web', 'A')), ['10.0.0.10']);
  } finally {
    clients.set(clientIp(open), { networks: [open.name] });
  }
});

test('an internal network answers its names and SERVFAIL for the rest (nothing leaves the host)', { skip }, async () => {
  assert.deepEqual(data(await ask(closed, 'vault', 'A')), ['10.0.2.5']);
  assert.equal((await ask(closed, 'outside.test', 'A')).rcode, 'SERVFAIL');
});

test('a large answer is truncated over UDP and whole over TCP', { skip }, async () => {
  const udp = await ask(open, 'crowd', 'A', 'udp');
  assert.ok((udp.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE, 'TC set');
  assert.ok(data(udp).length < 40);
  const tcp = await ask(open, 'crowd', 'A', 'tcp');
  assert.equal(tcp.rcode, 'NOERROR');
  assert.equal(data(tcp).length, 40);
  assert.deepEqual(new Set(data(tcp)), new Set(Array.from({ length: 40 }, (_, i) => `10.0.1.${i + 1}`)));
});

test('close() frees port 53 on the gateway; a port already held is a clear error naming the address and the holder', { skip }, async () => {
  await closedServer.close();
  servers.splice(servers.indexOf(closedServer), 1);
  // Both sockets are free again: the test binds them itself.
  const udp = createSocket('udp4');
  await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(53, closed.gateway, resolve); });
  const tcp = createServer();
  await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(53, closed.gateway, resolve); });
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  try {
    await assert.rejects(startNetworkDns(closed, { records, client: () => undefined, upstreams: [] }), (e: Error) => {
      assert.match(e.message, new RegExp(`DNS server of network ${closed.name} on ${closed.gateway.replaceAll('.', '\\.')}:53`));
      assert.match(e.message, new RegExp(`already in use by \\S+ \\(pid ${process.pid}\\) on ${closed.gateway.replaceAll('.', '\\.')}:53/udp`));
      return true;
    });
  } finally {
    udp.close();
  }
});
