// The embedded DNS server over real UDP sockets on loopback: queries from dns-packet and from
// busybox nslookup, forwarding to an upstream resolver (a loopback one this test runs), SERVFAIL
// when there is none, REFUSED for a source that is no container.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as dnsPacket from 'dns-packet';
import { ServiceRecords } from '../../core/network/dns/service-records.ts';
import { startDnsServer, udpForwarder, type DnsServer } from '../../host-linux/net/dns-server.ts';

const records = new ServiceRecords();
records.add({ network: 'mynet', containerId: 'a1b2c3d4e5f6'.padEnd(64, '0'), containerName: 'web', aliases: ['www'], ipv4: '172.18.0.2' });
records.add({ network: 'mynet', containerId: 'b1b2c3d4e5f6'.padEnd(64, '0'), containerName: 'db', ipv4: '172.18.0.3' });
for (let i = 0; i < 40; i++) {
  records.add({ network: 'mynet', containerId: `c${String(i).padStart(3, '0')}`.padEnd(64, '0'), containerName: `replica${i}`, aliases: ['crowd'], ipv4: `172.18.1.${i + 1}` });
}

let upstream: ReturnType<typeof createSocket>;
let upstreamPort = 0;
let upstreamQueries = 0;
let server: DnsServer;
let internal: DnsServer;
let closed: DnsServer;

before(async () => {
  // The "host's resolver": knows one outside name, NXDOMAIN for the rest.
  upstream = createSocket('udp4');
  upstream.on('message', (message, remote) => {
    upstreamQueries++;
    const query = dnsPacket.decode(message);
    const q = query.questions![0]!;
    const known = q.name === 'outside.test' && q.type === 'A';
    upstream.send(dnsPacket.encode({
      type: 'response', id: query.id, flags: dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3), questions: query.questions,
      answers: known ? [{ type: 'A', name: q.name, ttl: 30, data: '192.0.2.7' }] : [],
    }), remote.port, remote.address);
  });
  await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
  upstreamPort = upstream.address().port;
  const client = () => ({ networks: ['mynet'] });
  server = await startDnsServer({ records, client, forward: udpForwarder([{ address: '127.0.0.1', port: upstreamPort }]) });
  internal = await startDnsServer({ records, client });
  closed = await startDnsServer({ records, client: () => undefined });
});

after(async () => {
  await Promise.all([server.close(), internal.close(), closed.close()]);
  upstream.close();
});

async function query(target: DnsServer, name: string, type: dnsPacket.RecordType, extra: Partial<dnsPacket.Packet> = {}) {
  const socket = createSocket('udp4');
  try {
    const id = Math.floor(Math.random() * 65536);
    const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    socket.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }], ...extra }), target.port, '127.0.0.1');
    const response = dnsPacket.decode(await answer) as dnsPacket.DecodedPacket & { rcode: string };
    assert.equal(response.id, id);
    return response;
  } finally {
    socket.close();
  }
}

function data(response: dnsPacket.Packet): string[] {
  return (response.answers ?? []).map((a) => String((a as dnsPacket.StringAnswer).data));
}

test('A queries for container names and aliases are answered over UDP', async () => {
  assert.deepEqual(data(await query(server, 'web', 'A')), ['172.18.0.2']);
  assert.deepEqual(data(await query(server, 'www.mynet', 'A')), ['172.18.0.2']);
  const aaaa = await query(server, 'db', 'AAAA');
  assert.equal(aaaa.rcode, 'NOERROR');
  assert.deepEqual(aaaa.answers, []);
  assert.deepEqual(data(await query(server, '3.0.18.172.in-addr.arpa', 'PTR')), ['db.mynet']);
});

test('unknown names are forwarded to the upstream resolver and its answer comes back unchanged', async () => {
  const before = upstreamQueries;
  const known = await query(server, 'outside.test', 'A');
  assert.equal(known.rcode, 'NOERROR');
  assert.deepEqual(data(known), ['192.0.2.7']);
  assert.equal((known.answers![0] as dnsPacket.StringAnswer).ttl, 30);
  const unknown = await query(server, 'nowhere.test', 'A');
  assert.equal(unknown.rcode, 'NXDOMAIN');
  assert.equal(upstreamQueries, before + 2);
  // Names berth answers never reach the upstream.
  await query(server, 'web', 'A');
  assert.equal(upstreamQueries, before + 2);
});

test('without an upstream (an --internal network) unknown names get SERVFAIL; known names still resolve', async () => {
  assert.equal((await query(internal, 'outside.test', 'A')).rcode, 'SERVFAIL');
  assert.deepEqual(data(await query(internal, 'web', 'A')), ['172.18.0.2']);
});

test('an upstream that does not answer is a SERVFAIL, not a hang', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  const dead = await startDnsServer({ records, client: () => ({ networks: ['mynet'] }), forward: udpForwarder([{ address: '127.0.0.1', port: silent.address().port }], 200) });
  try {
    assert.equal((await query(dead, 'outside.test', 'A')).rcode, 'SERVFAIL');
  } finally {
    await dead.close();
    silent.close();
  }
});

test('over TCP (where a client retries a truncated answer) every address comes back, two queries on one connection', async () => {
  const conn = connect(server.port, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => conn.once('connect', resolve).once('error', reject));
    const frames: Buffer[] = [];
    for (const [id, name] of [[1, 'crowd'], [2, 'db']] as const) {
      const message = dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name, class: 'IN' }] });
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      frames.push(length, message);
    }
    // Both queries in one stream, cut inside the first message: the server must frame them by their lengths.
    const all = Buffer.concat(frames);
    conn.write(all.subarray(0, 5));
    conn.write(all.subarray(5));
    const answers = new Map<number, dnsPacket.Packet>();
    let pending = Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      conn.on('error', reject);
      conn.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          const response = dnsPacket.decode(pending.subarray(2, 2 + pending.readUInt16BE(0)));
          pending = pending.subarray(2 + pending.readUInt16BE(0));
          answers.set(response.id!, response);
        }
        if (answers.size === 2) resolve();
      });
    });
    assert.equal(answers.get(1)!.answers?.length, 40);
    assert.equal((answers.get(1) as dnsPacket.DecodedPacket).flag_tc, false);
    assert.deepEqual(data(answers.get(2)!), ['172.18.0.3']);
  } finally {
    conn.destroy();
  }
});

test('an upstream that answers SERVFAIL is skipped for the next one, as dockerd does', async () => {
  const failing = createSocket('udp4');
  failing.on('message', (message, remote) => {
    const q = dnsPacket.decode(message);
    failing.send(dnsPacket.encode({ type: 'response', id: q.id, flags: 2, questions: q.questions }), remote.port, remote.address);
  });
  await new Promise<void>((resolve) => failing.bind(0, '127.0.0.1', resolve));
  const failingPort = failing.address().port;
  const both = await startDnsServer({ records, client: () => ({ networks: ['mynet'] }), forward: udpForwarder([{ address: '127.0.0.1', port: failingPort }, { address: '127.0.0.1', port: upstreamPort }]) });
  const onlyFailing = await startDnsServer({ records, client: () => ({ networks: ['mynet'] }), forward: udpForwarder([{ address: '127.0.0.1', port: failingPort }]) });
  try {
    assert.deepEqual(data(await query(both, 'outside.test', 'A')), ['192.0.2.7']);
    assert.equal((await query(onlyFailing, 'outside.test', 'A')).rcode, 'SERVFAIL');
  } finally {
    await Promise.all([both.close(), onlyFailing.close()]);
    failing.close();
  }
});

test('a source that is no container is refused', async () => {
  assert.equal((await query(closed, 'web', 'A')).rcode, 'REFUSED');
});

test('an answer larger than 512 bytes is truncated (TC) over UDP unless EDNS0 offers more room', async () => {
  const plain = await query(server, 'crowd', 'A');
  assert.equal(plain.flag_tc, true);
  assert.ok(plain.answers!.length > 0 && plain.answers!.length < 40, String(plain.answers!.length));
  assert.ok(dnsPacket.encodingLength(plain) <= 512);
  const edns = await query(server, 'crowd', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as dnsPacket.Answer] });
  assert.equal(edns.flag_tc, false);
  assert.equal(edns.answers?.length, 40);
});

test('busybox nslookup resolves a container name through the server', async () => {
  // busybox takes the server as host:port; it runs while this process serves it, hence not spawnSync.
  const { stdout } = await promisify(execFile)('busybox', ['nslookup', 'web', `127.0.0.1:${server.port}`], { timeout: 20_000 });
  assert.match(stdout, /Name:\s+web\s+Address:\s+172\.18\.0\.2/);
});
