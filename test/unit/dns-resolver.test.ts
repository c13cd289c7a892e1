// The embedded DNS server's answers, with queries and answers going through dns-packet's wire
// encoding as they do between a container's resolver and berth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dnsPacket from 'dns-packet';
import { ServiceRecords, endpointNames } from '../../core/network/dns/service-records.ts';
import { nameCandidates } from '../../core/network/dns/resolve-name.ts';
import { DNS_TTL, answerQuery, serverFailure, type DnsClient } from '../../core/network/dns/resolver.ts';

const WEB_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9';
const DB_ID = 'ffeeddccbbaa00112233445566778899ffeeddccbbaa00112233445566778899';

function records(): ServiceRecords {
  const r = new ServiceRecords();
  r.add({ network: 'front', containerId: WEB_ID, containerName: 'web', aliases: ['www', 'Site'], ipv4: '172.18.0.2' });
  r.add({ network: 'back', containerId: WEB_ID, containerName: 'web', ipv4: '172.19.0.2' });
  r.add({ network: 'back', containerId: DB_ID, containerName: 'db', aliases: ['store'], ipv4: '172.19.0.3' });
  return r;
}

/** A query as a container's resolver sends it, through the wire format and back. */
function ask(name: string, type: dnsPacket.RecordType, client: DnsClient, r = records(), id = 4242) {
  const bytes = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
  const verdict = answerQuery(dnsPacket.decode(bytes), client, r);
  if (verdict.action === 'forward') return 'forward' as const;
  assert.equal(verdict.action, 'answer');
  if (verdict.action !== 'answer') throw new Error('dropped');
  return dnsPacket.decode(dnsPacket.encode(verdict.response)) as dnsPacket.DecodedPacket & { rcode: string };
}

function addressesOf(response: ReturnType<typeof ask>): string[] {
  assert.notEqual(response, 'forward');
  if (response === 'forward') return [];
  return (response.answers ?? []).map((a) => (a as dnsPacket.StringAnswer).data);
}

test('an endpoint answers to its container name, short ID and aliases, case-insensitively', () => {
  assert.deepEqual(endpointNames({ network: 'n', containerId: WEB_ID, containerName: 'Web', aliases: ['web', 'api'], ipv4: '10.0.0.2' }),
    ['web', 'a1b2c3d4e5f6', 'api']);
  const client = { networks: ['front'] };
  for (const name of ['web', 'WEB', 'www', 'site', 'a1b2c3d4e5f6', 'web.']) assert.deepEqual(addressesOf(ask(name, 'A', client)), ['172.18.0.2'], name);
  // The full ID is not a name dockerd serves.
  assert.equal(ask(WEB_ID, 'A', client), 'forward');
});

test('an A answer is a NOERROR reply to the query: same id, RD echoed, RA set, not authoritative, TTL 600', () => {
  const response = ask('db', 'A', { networks: ['back'] });
  assert.notEqual(response, 'forward');
  if (response === 'forward') return;
  assert.equal(response.type, 'response');
  assert.equal(response.id, 4242);
  assert.equal(response.rcode, 'NOERROR');
  assert.equal(response.flag_rd, true);
  assert.equal(response.flag_ra, true);
  assert.equal(response.flag_aa, false);
  assert.deepEqual(response.questions, [{ name: 'db', type: 'A', class: 'IN' }]);
  assert.deepEqual(response.answers, [{ name: 'db', type: 'A', class: 'IN', ttl: DNS_TTL, flush: false, data: '172.19.0.3' }]);
});

test('names resolve only on the networks the asking container shares', () => {
  // web is on front and back; db only on back.
  assert.deepEqual(addressesOf(ask('db', 'A', { networks: ['back'] })), ['172.19.0.3']);
  assert.equal(ask('db', 'A', { networks: ['front'] }), 'forward');
  assert.equal(ask('store', 'A', { networks: ['front', 'other'] }), 'forward');
  // The first of the client's networks that knows the name answers, with its address there.
  assert.deepEqual(addressesOf(ask('web', 'A', { networks: ['back', 'front'] })), ['172.19.0.2']);
  assert.deepEqual(addressesOf(ask('web', 'A', { networks: ['front', 'back'] })), ['172.18.0.2']);
});

test('name.network resolves the name on that network only, as dockerd splits dotted names', () => {
  assert.deepEqual(nameCandidates('a.b.c'), [{ name: 'a.b.c' }, { name: 'a.b', network: 'c' }, { name: 'a', network: 'b.c' }]);
  const client = { networks: ['front', 'back'] };
  assert.deepEqual(addressesOf(ask('web.back', 'A', client)), ['172.19.0.2']);
  assert.deepEqual(addressesOf(ask('web.front', 'A', client)), ['172.18.0.2']);
  assert.deepEqual(addressesOf(ask('WEB.Back.', 'A', client)), ['172.19.0.2']);
  // A network the client is not on is not searched, even when named.
  assert.equal(ask('db.back', 'A', { networks: ['front'] }), 'forward');
  // Dotted network and container names.
  const r = records();
  r.add({ network: 'my.net', containerId: DB_ID, containerName: 'svc.v1', ipv4: '10.1.0.5' });
  assert.deepEqual(addressesOf(ask('svc.v1', 'A', { networks: ['my.net'] }, r)), ['10.1.0.5']);
  assert.deepEqual(addressesOf(ask('svc.v1.my.net', 'A', { networks: ['my.net'] }, r)), ['10.1.0.5']);
});

test('with ndots set, an unknown single-label name gets an empty answer so the client tries its search domains', () => {
  const client = { networks: ['back'], ndotsSet: true };
  for (const type of ['A', 'AAAA'] as const) {
    const response = ask('printer', type, client);
    assert.notEqual(response, 'forward');
    if (response === 'forward') return;
    assert.equal(response.rcode, 'NOERROR');
    assert.deepEqual(response.answers, []);
  }
  assert.deepEqual(addressesOf(ask('db', 'A', client)), ['172.19.0.3']);
  assert.equal(ask('printer.corp.example', 'A', client), 'forward');
  assert.equal(ask('printer', 'TXT', client), 'forward');
  assert.equal(ask('printer', 'A', { networks: ['back'] }), 'forward');
  // Search domains are not stripped by the server (dockerd does not): `db.corp.example` is not `db`.
  assert.equal(ask('db.corp.example', 'A', client), 'forward');
});

test('an alias shared by several containers answers with all their addresses, shuffled for round-robin', () => {
  const r = records();
  r.add({ network: 'back', containerId: 'c'.repeat(64), containerName: 'db2', aliases: ['store'], ipv4: '172.19.0.4' });
  r.add({ network: 'back', containerId: 'd'.repeat(64), containerName: 'db3', aliases: ['store'], ipv4: '172.19.0.5' });
  assert.deepEqual(r.addresses('store', 'back'), ['172.19.0.3', '172.19.0.4', '172.19.0.5']);
  const query = dnsPacket.decode(dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'store' }] }));
  const order = (random: () => number) => {
    const verdict = answerQuery(query, { networks: ['back'] }, r, random);
    assert.equal(verdict.action, 'answer');
    return verdict.action === 'answer' ? verdict.response.answers!.map((a) => (a as dnsPacket.StringAnswer).data) : [];
  };
  // random() near 1 keeps every element in place; 0 rotates the first one to the end.
  assert.deepEqual(order(() => 0.999), ['172.19.0.3', '172.19.0.4', '172.19.0.5']);
  assert.deepEqual(order(() => 0), ['172.19.0.4', '172.19.0.5', '172.19.0.3']);
  const firsts = new Set(Array.from({ length: 60 }, () => order(Math.random)[0]));
  assert.equal(firsts.size, 3, 'with Math.random every replica comes first sometimes');
});

test('records follow connect, disconnect, reconnect and removal', () => {
  const r = records();
  r.remove(DB_ID, 'back');
  assert.equal(ask('db', 'A', { networks: ['back'] }, r), 'forward');
  r.add({ network: 'back', containerId: DB_ID, containerName: 'db', ipv4: '172.19.0.9' });
  r.add({ network: 'back', containerId: DB_ID, containerName: 'db', ipv4: '172.19.0.10' });
  assert.deepEqual(addressesOf(ask('db', 'A', { networks: ['back'] }, r)), ['172.19.0.10']);
  r.removeContainer(WEB_ID);
  assert.equal(ask('web', 'A', { networks: ['front', 'back'] }, r), 'forward');
  assert.deepEqual(r.endpoints('front'), []);
  r.removeNetwork('back');
  assert.equal(ask('db', 'A', { networks: ['back'] }, r), 'forward');
});

test('AAAA and MX for a known name are empty NOERROR answers; for an unknown one they are forwarded', () => {
  for (const type of ['AAAA', 'MX'] as const) {
    const response = ask('web', type, { networks: ['front'] });
    assert.notEqual(response, 'forward');
    if (response === 'forward') return;
    assert.equal(response.rcode, 'NOERROR');
    assert.deepEqual(response.answers, []);
    assert.equal(ask('example.com', type, { networks: ['front'] }), 'forward');
  }
});

test('PTR for a container\'s address answers container.network; other addresses are forwarded', () => {
  const response = ask('3.0.19.172.in-addr.arpa', 'PTR', { networks: ['front', 'back'] });
  assert.notEqual(response, 'forward');
  if (response === 'forward') return;
  assert.deepEqual(response.answers?.map((a) => [a.type, (a as dnsPacket.StringAnswer).data]), [['PTR', 'db.back']]);
  assert.equal(ask('3.0.19.172.in-addr.arpa', 'PTR', { networks: ['front'] }), 'forward');
  assert.equal(ask('8.8.8.8.in-addr.arpa', 'PTR', { networks: ['back'] }), 'forward');
});

test('names berth does not know and other record types go to the host\'s resolvers', () => {
  const client = { networks: ['front', 'back'] };
  assert.equal(ask('example.com', 'A', client), 'forward');
  assert.equal(ask('web', 'TXT', client), 'forward');
  assert.equal(ask('web', 'A', { networks: [] }), 'forward');
});

test('a message without a question (or a response) is dropped; only the first question counts; a failed forward is SERVFAIL', () => {
  const client = { networks: ['front'] };
  assert.equal(answerQuery(dnsPacket.decode(dnsPacket.encode({ type: 'query', id: 7, questions: [] })), client, records()).action, 'drop');
  assert.equal(answerQuery(dnsPacket.decode(dnsPacket.encode({ type: 'response', id: 7, questions: [{ type: 'A', name: 'web' }] })), client, records()).action, 'drop');
  const twoQuestions = dnsPacket.decode(dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'web' }, { type: 'A', name: 'db' }] }));
  const verdict = answerQuery(twoQuestions, client, records());
  assert.equal(verdict.action, 'answer');
  if (verdict.action !== 'answer') return;
  assert.deepEqual(verdict.response.answers?.map((a) => (a as dnsPacket.StringAnswer).data), ['172.18.0.2']);
  const query = dnsPacket.decode(dnsPacket.encode({ type: 'query', id: 9, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'example.com' }] }));
  const failed = dnsPacket.decode(dnsPacket.encode(serverFailure(query))) as dnsPacket.DecodedPacket & { rcode: string };
  assert.equal(failed.rcode, 'SERVFAIL');
  assert.equal(failed.id, 9);
  assert.deepEqual(failed.questions?.map((q) => q.name), ['example.com']);
});
