import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../../core/errors.ts';
import { formatIpv4, formatPrefix, masked, parseIpv4, parseIpv4Prefix, prefixesOverlap } from '../../core/network/ipv4.ts';
import { DEFAULT_ADDRESS_POOLS, DEFAULT_BRIDGE_SUBNET, NO_AVAILABLE_POOL, candidateSubnets, pickSubnet } from '../../core/network/default-pools.ts';
import { POOL_OVERLAP, ipamConfigProblems, validateIpamConfig } from '../../core/network/ipam-config.ts';
import { ADDRESS_IN_USE, NetworkIpam, STATIC_IP_NEEDS_SUBNET } from '../../core/network/ipam.ts';

const NET = { name: 'mynet', id: 'abc123' };

function rejects(fn: () => unknown, message: string, status?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BerthError, String(e));
    assert.equal(e.message, message);
    if (status !== undefined) assert.equal(e.status, status);
    return true;
  });
}

test('IPv4 addresses and CIDR blocks parse and format as Go netip does', () => {
  assert.equal(parseIpv4('172.17.0.1'), 0xac110001);
  assert.equal(formatIpv4(0xac110001), '172.17.0.1');
  assert.equal(formatIpv4(0xffffffff), '255.255.255.255');
  for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', '', 'a.b.c.d', '1.2.3.4 ']) assert.equal(parseIpv4(bad), undefined, bad);
  assert.deepEqual(parseIpv4Prefix('10.1.2.3/8'), { address: 0x0a010203, bits: 8 });
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '10.0.0/8']) assert.equal(parseIpv4Prefix(bad), undefined, bad);
  assert.equal(formatPrefix(masked(parseIpv4Prefix('10.1.2.3/8')!)), '10.0.0.0/8');
  assert.equal(formatPrefix(masked(parseIpv4Prefix('1.2.3.4/0')!)), '0.0.0.0/0');
  assert.ok(prefixesOverlap(parseIpv4Prefix('10.0.0.0/8')!, parseIpv4Prefix('10.200.0.0/16')!));
  assert.ok(!prefixesOverlap(parseIpv4Prefix('172.17.0.0/16')!, parseIpv4Prefix('172.18.0.0/16')!));
});

test('the default pools are dockerd\'s: 172.17-31 /16s, then 192.168 /20s', () => {
  const all = [...candidateSubnets(DEFAULT_ADDRESS_POOLS)].map(formatPrefix);
  assert.equal(all[0], DEFAULT_BRIDGE_SUBNET);
  assert.deepEqual(all.slice(0, 15), Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`));
  assert.deepEqual(all.slice(15, 18), ['192.168.0.0/20', '192.168.16.0/20', '192.168.32.0/20']);
  assert.equal(all.at(-1), '192.168.240.0/20');
  assert.equal(all.length, 15 + 16);
});

test('a new network gets the first default subnet free of other networks and of the host\'s routes', () => {
  assert.equal(pickSubnet([]), '172.17.0.0/16');
  assert.equal(pickSubnet(['172.17.0.0/16']), '172.18.0.0/16');
  // A host route inside 172.18/16 (say a VPN's) makes it unusable; the default route says nothing.
  assert.equal(pickSubnet(['0.0.0.0/0', '172.17.0.0/16', '172.18.5.0/24', '172.19.0.0/16']), '172.20.0.0/16');
  // A wide route covering all of 172.16/12 sends networks to 192.168.
  assert.equal(pickSubnet(['172.16.0.0/12', '192.168.0.0/24']), '192.168.16.0/20');
  const everything = ['172.16.0.0/12', '192.168.0.0/16'];
  rejects(() => pickSubnet(everything), NO_AVAILABLE_POOL);
});

test('--subnet/--ip-range/--gateway are validated with dockerd\'s texts', () => {
  assert.deepEqual(ipamConfigProblems([{ Subnet: '10.0.0.0/8', IPRange: '10.10.0.0/16', Gateway: '10.10.0.1', AuxiliaryAddresses: { host: '10.0.0.9' } }]), []);
  assert.deepEqual(ipamConfigProblems([{ Subnet: '10.10.10.0/8' }]), ['invalid subnet 10.10.10.0/8: it should be 10.0.0.0/8']);
  assert.deepEqual(ipamConfigProblems([{ Subnet: 'foo' }]), ['invalid subnet foo: invalid CIDR block notation']);
  assert.deepEqual(ipamConfigProblems([{ Subnet: '10.10.10.0/24', IPRange: 'foobar', Gateway: '1001.10.5.3', AuxiliaryAddresses: { DefaultGatewayIPv4: 'dummy' } }]), [
    'invalid ip-range foobar: invalid CIDR block notation',
    'invalid gateway 1001.10.5.3: invalid address',
    'invalid auxiliary address DefaultGatewayIPv4: invalid address',
  ]);
  assert.deepEqual(ipamConfigProblems([{ Subnet: '10.10.10.0/24', IPRange: '10.0.0.0/8' }]), [
    'invalid ip-range 10.0.0.0/8: CIDR block is bigger than its parent subnet 10.10.10.0/24',
  ]);
  assert.deepEqual(ipamConfigProblems([{ Subnet: '10.0.0.0/8', IPRange: '192.168.0.1/24', Gateway: '192.168.0.1', AuxiliaryAddresses: { DefaultGatewayIPv4: '192.168.0.1' } }]), [
    'invalid ip-range 192.168.0.1/24: it should be 192.168.0.0/24',
    'invalid ip-range 192.168.0.1/24: parent subnet 10.0.0.0/8 doesn\'t contain ip-range',
    'invalid gateway 192.168.0.1: parent subnet 10.0.0.0/8 doesn\'t contain this address',
    'invalid auxiliary address DefaultGatewayIPv4: parent subnet 10.0.0.0/8 doesn\'t contain this address',
  ]);
  assert.deepEqual(ipamConfigProblems([{ Subnet: '10.0.0.0/8', Gateway: 'fe80::1' }]), ['invalid gateway fe80::1: parent subnet is an IPv4 block']);
  rejects(() => validateIpamConfig([{ Subnet: '10.1.0.0/16', Gateway: '10.2.0.1' }]),
    'invalid network config:\ninvalid gateway 10.2.0.1: parent subnet 10.1.0.0/16 doesn\'t contain this address', 400);
});

test('a requested subnet that overlaps another network is refused; a free one is taken as given', () => {
  rejects(() => NetworkIpam.create({ network: NET, config: { Subnet: '172.18.128.0/24' }, networkSubnets: ['172.17.0.0/16', '172.18.0.0/16'] }), POOL_OVERLAP, 403);
  const ipam = NetworkIpam.create({ network: NET, config: { Subnet: '10.5.0.0/24' }, networkSubnets: ['172.17.0.0/16'], hostRoutes: ['10.0.0.0/8'] });
  // A route is no reason to refuse a subnet the user asked for (dockerd does not check routes then).
  assert.equal(ipam.state().subnet, '10.5.0.0/24');
  assert.equal(ipam.state().gateway, '10.5.0.1');
  assert.equal(ipam.prefixLength, 24);
});

test('a network without --subnet gets a default pool subnet avoiding networks and routes', () => {
  const ipam = NetworkIpam.create({ network: NET, networkSubnets: ['172.17.0.0/16'], hostRoutes: ['172.18.0.0/16', '0.0.0.0/0'] });
  assert.deepEqual(ipam.state(), { subnet: '172.19.0.0/16', gateway: '172.19.0.1', allocated: [], next: '172.19.0.1' });
  assert.equal(ipam.allocate(), '172.19.0.2');
  assert.equal(ipam.allocate(), '172.19.0.3');
  // dockerd takes --ip only on networks created with --subnet.
  rejects(() => ipam.allocate('172.19.0.9'), STATIC_IP_NEEDS_SUBNET, 400);
});

test('addresses are handed out serially: gateway, network and broadcast are never given; a released one is not reused at once', () => {
  const ipam = NetworkIpam.create({ network: NET, config: { Subnet: '10.9.0.0/29' }, networkSubnets: [] });
  // /29: .0 network, .1 gateway, .7 broadcast -> .2-.6 for endpoints.
  const got = [1, 2, 3, 4, 5].map(() => ipam.allocate());
  assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
  rejects(() => ipam.allocate(), 'no available IPv4 addresses on this network\'s address pools: mynet (abc123)', 500);
  ipam.release('10.9.0.3');
  ipam.release('10.9.0.3');
  ipam.release('10.9.0.5');
  assert.equal(ipam.allocate(), '10.9.0.3');
  assert.equal(ipam.allocate(), '10.9.0.5');
  assert.ok(ipam.isAllocated('10.9.0.5'));
  ipam.release('10.9.0.2');
  ipam.release('10.9.0.6');
  // After .5 the search wraps around: .6 comes before .2.
  assert.equal(ipam.allocate(), '10.9.0.6');
  assert.equal(ipam.allocate(), '10.9.0.2');
});

test('--ip-range limits dynamic addresses; the gateway defaults to the range\'s first; --ip may lie outside the range', () => {
  const ipam = NetworkIpam.create({ network: NET, config: { Subnet: '10.8.0.0/16', IPRange: '10.8.5.4/30' }, networkSubnets: [] });
  assert.equal(ipam.state().gateway, '10.8.5.4');
  assert.deepEqual([ipam.allocate(), ipam.allocate(), ipam.allocate()], ['10.8.5.5', '10.8.5.6', '10.8.5.7']);
  rejects(() => ipam.allocate(), 'no available IPv4 addresses on this network\'s address pools: mynet (abc123)');
  assert.equal(ipam.allocate('10.8.200.7'), '10.8.200.7');
  rejects(() => NetworkIpam.create({ network: NET, config: { Gateway: '10.1.0.1' }, networkSubnets: [] }),
    'every ip-range or gateway must have a corresponding subnet', 400);
});

test('a requested --ip must be in the subnet and free', () => {
  const ipam = NetworkIpam.create({ network: NET, config: { Subnet: '10.7.0.0/24', Gateway: '10.7.0.254' }, networkSubnets: [] });
  assert.equal(ipam.allocate('10.7.0.1'), '10.7.0.1');
  rejects(() => ipam.allocate('10.7.0.1'), ADDRESS_IN_USE, 403);
  rejects(() => ipam.allocate('10.7.0.254'), ADDRESS_IN_USE);
  rejects(() => ipam.allocate('10.7.0.0'), ADDRESS_IN_USE);
  rejects(() => ipam.allocate('10.7.0.255'), ADDRESS_IN_USE);
  rejects(() => ipam.allocate('10.7.1.5'), 'no configured subnet or ip-range contain the IP address 10.7.1.5', 400);
  rejects(() => ipam.allocate('10.7.0.300'), 'invalid IPv4 address: 10.7.0.300', 400);
  // The dynamic search skips the address taken by request.
  assert.equal(ipam.allocate(), '10.7.0.2');
});

test('the state round-trips through JSON and the restored allocator goes on where it stopped', () => {
  const ipam = NetworkIpam.create({ network: NET, config: { Subnet: '10.6.0.0/24', IPRange: '10.6.0.128/25' }, networkSubnets: [] });
  ipam.allocate();
  ipam.allocate('10.6.0.9');
  ipam.allocate();
  ipam.release('10.6.0.129');
  const state = JSON.parse(JSON.stringify(ipam.state()));
  assert.deepEqual(state, { subnet: '10.6.0.0/24', configured: true, ipRange: '10.6.0.128/25', gateway: '10.6.0.128', allocated: ['10.6.0.9', '10.6.0.130'], next: '10.6.0.131' });
  const restored = NetworkIpam.restore(state, NET);
  assert.deepEqual(restored.state(), state);
  assert.equal(restored.allocate(), '10.6.0.131');
  rejects(() => restored.allocate('10.6.0.9'), ADDRESS_IN_USE);
});
