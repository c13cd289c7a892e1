import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMBEDDED_DNS_ADDRESS, embeddedResolvConf } from '../../core/network/dns/embedded-resolv-conf.ts';

const HOST = '# from DHCP\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch corp.example lab.example\noptions edns0 trust-ad\n';

test('a container on a user network asks the embedded server, with the host\'s search list and ndots:0', () => {
  const conf = embeddedResolvConf(HOST);
  assert.equal(conf.text, 'search corp.example lab.example\nnameserver 127.0.0.11\noptions edns0 trust-ad ndots:0\n');
  assert.equal(EMBEDDED_DNS_ADDRESS, '127.0.0.11');
  // Localhost resolvers stay upstreams: the server forwards from the host's namespace, where they answer.
  assert.deepEqual(conf.upstreams, ['127.0.0.53', '192.0.2.53']);
  assert.equal(conf.ndotsSet, false);
});

test('--dns, --dns-search and --dns-option replace the host\'s values; an explicit ndots is kept and noted', () => {
  const conf = embeddedResolvConf(HOST, ['198.51.100.1'], ['svc.example'], ['ndots:2', 'timeout:1']);
  assert.equal(conf.text, 'search svc.example\nnameserver 127.0.0.11\noptions ndots:2 timeout:1\n');
  assert.deepEqual(conf.upstreams, ['198.51.100.1']);
  assert.equal(conf.ndotsSet, true);
  assert.equal(embeddedResolvConf('nameserver 192.0.2.1\noptions ndots:0\n').ndotsSet, false);
  assert.equal(embeddedResolvConf('nameserver 192.0.2.1\noptions ndots:0\n').text, 'nameserver 127.0.0.11\noptions ndots:0\n');
});
