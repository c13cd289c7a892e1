import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseReference, parseAnyReference, withDefaultTag, withTag, withDigest, repositoryOf, isNameOnly,
  familiarName, familiarString, fullName, referenceString, isDockerHub, registryEndpointHost,
  isImageIdPrefix, imageIdPrefixHex, validateDigest, isValidTag, isValidDomain, isValidPath,
  type Reference,
} from '../../core/reference/reference.ts';
import { BerthError } from '../../core/errors.ts';

const H64 = 'a'.repeat(64);
const D = `sha256:${'0123456789abcdef'.repeat(4)}`;

function rejects(s: string, message: string) {
  assert.throws(() => parseReference(s), (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected BerthError for ${JSON.stringify(s)}`);
    assert.equal(e.code, 'invalid_reference');
    assert.equal(e.message, message, `message for ${JSON.stringify(s)}`);
    assert.equal(e.status, 400);
    return true;
  });
}

describe('parseReference: normalization', () => {
  const cases: Array<[string, Reference]> = [
    ['busybox', { domain: 'docker.io', path: 'library/busybox' }],
    ['busybox:1.36', { domain: 'docker.io', path: 'library/busybox', tag: '1.36' }],
    ['user/x', { domain: 'docker.io', path: 'user/x' }],
    ['user/x/y', { domain: 'docker.io', path: 'user/x/y' }],
    ['docker.io/busybox', { domain: 'docker.io', path: 'library/busybox' }],
    ['docker.io/library/busybox:latest', { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }],
    ['index.docker.io/busybox', { domain: 'docker.io', path: 'library/busybox' }],
    ['index.docker.io/user/x:t', { domain: 'docker.io', path: 'user/x', tag: 't' }],
    ['localhost/x', { domain: 'localhost', path: 'x' }],
    ['localhost:5000/x:1', { domain: 'localhost:5000', path: 'x', tag: '1' }],
    ['127.0.0.1:5000/a/b/c:tag', { domain: '127.0.0.1:5000', path: 'a/b/c', tag: 'tag' }],
    ['registry.example.com/a', { domain: 'registry.example.com', path: 'a' }],
    ['[::1]:5000/x', { domain: '[::1]:5000', path: 'x' }],
    ['[::1]/x', { domain: '[::1]', path: 'x' }],
    ['[2001:db8::1]:443/org/app:v1', { domain: '[2001:db8::1]:443', path: 'org/app', tag: 'v1' }],
    // An uppercase first component can only be a host, never a path.
    ['Foo/bar', { domain: 'Foo', path: 'bar' }],
    ['LOCALHOST/x', { domain: 'LOCALHOST', path: 'x' }],
    ['x@' + D, { domain: 'docker.io', path: 'library/x', digest: D }],
    ['x:tag@' + D, { domain: 'docker.io', path: 'library/x', tag: 'tag', digest: D }],
    ['127.0.0.1:5000/a@' + D, { domain: '127.0.0.1:5000', path: 'a', digest: D }],
    ['a__b', { domain: 'docker.io', path: 'library/a__b' }],
    ['a--b', { domain: 'docker.io', path: 'library/a--b' }],
    ['a.b_c-d', { domain: 'docker.io', path: 'library/a.b_c-d' }],
    ['x:Tag_1.2-rc', { domain: 'docker.io', path: 'library/x', tag: 'Tag_1.2-rc' }],
    ['x:_t', { domain: 'docker.io', path: 'library/x', tag: '_t' }],
    // A name that looks like an algorithm is still a name: `sha256` with tag.
    [`sha256:${H64}`, { domain: 'docker.io', path: 'library/sha256', tag: H64 }],
    // 63 hex digits are a valid name; only exactly 64 are refused.
    ['a'.repeat(63), { domain: 'docker.io', path: 'library/' + 'a'.repeat(63) }],
    ['a'.repeat(240), { domain: 'docker.io', path: 'library/' + 'a'.repeat(240) }],
    ['localhost:5000/' + 'a'.repeat(250), { domain: 'localhost:5000', path: 'a'.repeat(250) }],
    ['x:' + 'a'.repeat(128), { domain: 'docker.io', path: 'library/x', tag: 'a'.repeat(128) }],
  ];
  for (const [input, want] of cases) {
    test(input.length > 60 ? input.slice(0, 60) + '…' : input, () => {
      assert.deepEqual(parseReference(input), want);
    });
  }
});

describe('parseReference: errors with Docker\'s texts', () => {
  test('uppercase repository names', () => {
    rejects('UPPER', 'invalid reference format: repository name (library/UPPER) must be lowercase');
    rejects('library/Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase');
    rejects('Foo:1', 'invalid reference format: repository name (library/Foo) must be lowercase');
    rejects('docker.io/Foo', 'invalid reference format: repository name (library/Foo) must be lowercase');
    rejects('localhost:5000/Foo', 'invalid reference format: repository name (Foo) must be lowercase');
    rejects('user/Foo:tag', 'invalid reference format: repository name (user/Foo) must be lowercase');
    rejects('a/B/c:t', 'invalid reference format: repository name (a/B/c) must be lowercase');
    // Docker cuts the name at the first ':', so a digest's algorithm is part of what it prints.
    rejects(`Foo@sha256:${H64}`, 'invalid reference format: repository name (library/Foo@sha256) must be lowercase');
    rejects(`x@SHA256:${H64}`, 'invalid reference format: repository name (library/x@SHA256) must be lowercase');
  });
  test('bad syntax', () => {
    for (const s of ['a//b', ':tag', 'a:b:c', 'x:', 'x@', 'x-', 'a..b', 'a.-b', 'a___b', 'x:-a', 'x:a!',
      'localhost:/x', 'host:port/x', '[fe80::1%eth0]/x', '/x', 'x/', 'x y', 'x:' + 'a'.repeat(129),
      '-x', '_x', ' busybox', 'busybox ', 'x@sha256:abc', `x@sha256:${'g'.repeat(64)}`, 'x@@' + D, 'x@' + D + ':t']) {
      rejects(s, 'invalid reference format');
    }
  });
  test('empty', () => rejects('', 'invalid reference format'));
  test('too long', () => {
    rejects('a'.repeat(256), 'repository name must not be more than 255 characters');
    rejects('a'.repeat(250), 'repository name must not be more than 255 characters');
    rejects('localhost:5000/' + 'a'.repeat(256), 'repository name must not be more than 255 characters');
  });
  test('64-hex strings', () => {
    rejects(H64, `invalid repository name (${H64}), cannot specify 64-byte hexadecimal strings`);
  });
  test('digests', () => {
    rejects('x@sha256:' + 'A'.repeat(64), 'invalid checksum digest format');
    rejects('x@sha256:' + 'a'.repeat(32), 'invalid checksum digest length');
    rejects('x@sha512:' + H64, 'invalid checksum digest length');
    rejects('x@md5:' + 'a'.repeat(32), 'unsupported digest algorithm');
    assert.equal(parseReference('x@sha512:' + 'b'.repeat(128)).digest, 'sha512:' + 'b'.repeat(128));
    assert.equal(parseReference('x@sha384:' + 'c'.repeat(96)).digest, 'sha384:' + 'c'.repeat(96));
  });
});

describe('formatting', () => {
  const rows: Array<[string, string, string, string, string]> = [
    // input, familiarName, familiarString(withDefaultTag), fullName, referenceString(withDefaultTag)
    ['busybox', 'busybox', 'busybox:latest', 'docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['user/x', 'user/x', 'user/x:latest', 'docker.io/user/x', 'docker.io/user/x:latest'],
    ['docker.io/library/a/b', 'library/a/b', 'library/a/b:latest', 'docker.io/library/a/b', 'docker.io/library/a/b:latest'],
    ['127.0.0.1:5000/a:1', '127.0.0.1:5000/a', '127.0.0.1:5000/a:1', '127.0.0.1:5000/a', '127.0.0.1:5000/a:1'],
    ['localhost/x', 'localhost/x', 'localhost/x:latest', 'localhost/x', 'localhost/x:latest'],
    ['[::1]:5000/x', '[::1]:5000/x', '[::1]:5000/x:latest', '[::1]:5000/x', '[::1]:5000/x:latest'],
    ['x@' + D, 'x', 'x@' + D, 'docker.io/library/x', 'docker.io/library/x@' + D],
    ['x:t@' + D, 'x', 'x:t@' + D, 'docker.io/library/x', 'docker.io/library/x:t@' + D],
  ];
  for (const [input, fname, fstring, full, rstring] of rows) {
    test(input, () => {
      const r = parseReference(input);
      assert.equal(familiarName(r), fname);
      assert.equal(familiarString(withDefaultTag(r)), fstring);
      assert.equal(fullName(r), full);
      assert.equal(referenceString(withDefaultTag(r)), rstring);
      // The full string parses back to the same reference.
      assert.deepEqual(parseReference(referenceString(r)), r);
      assert.deepEqual(parseReference(familiarString(r)), r);
    });
  }
  test('referenceString keeps no default tag', () => {
    assert.equal(referenceString(parseReference('busybox')), 'docker.io/library/busybox');
    assert.equal(familiarString(parseReference('busybox')), 'busybox');
  });
});

describe('tags and digests', () => {
  test('withDefaultTag', () => {
    assert.equal(withDefaultTag(parseReference('x')).tag, 'latest');
    assert.equal(withDefaultTag(parseReference('x:1')).tag, '1');
    const d = withDefaultTag(parseReference('x@' + D));
    assert.equal(d.tag, undefined);
    assert.equal(d.digest, D);
    assert.equal(isNameOnly(parseReference('x')), true);
    assert.equal(isNameOnly(parseReference('x:1')), false);
  });
  test('withTag validates like Docker', () => {
    assert.equal(referenceString(withTag(parseReference('x'), 'v2')), 'docker.io/library/x:v2');
    assert.throws(() => withTag(parseReference('x'), '-bad'), { code: 'invalid_reference', message: 'invalid tag format' });
    assert.throws(() => withTag(parseReference('x'), 'a'.repeat(129)), { message: 'invalid tag format' });
    assert.equal(isValidTag('v1.0_rc-1'), true);
    assert.equal(isValidTag('.v1'), false);
  });
  test('withDigest and repositoryOf', () => {
    const r = withDigest(parseReference('x:1'), D);
    assert.equal(referenceString(r), 'docker.io/library/x:1@' + D);
    assert.deepEqual(repositoryOf(r), { domain: 'docker.io', path: 'library/x' });
    assert.throws(() => withDigest(r, 'sha256:xyz'), { message: 'invalid checksum digest length' });
  });
  test('validateDigest', () => {
    validateDigest(D);
    assert.throws(() => validateDigest('sha256'), { message: 'invalid checksum digest format' });
    assert.throws(() => validateDigest('sha256:'), { message: 'invalid checksum digest format' });
    assert.throws(() => validateDigest(':abc'), { message: 'invalid checksum digest format' });
    assert.throws(() => validateDigest('Foo:abc'), { message: 'invalid checksum digest format' });
  });
});

describe('registries', () => {
  test('isDockerHub', () => {
    assert.equal(isDockerHub('docker.io'), true);
    assert.equal(isDockerHub('index.docker.io'), true);
    assert.equal(isDockerHub('registry-1.docker.io'), true);
    assert.equal(isDockerHub('localhost:5000'), false);
    assert.equal(isDockerHub('docker.io:443'), false);
  });
  test('registryEndpointHost', () => {
    assert.equal(registryEndpointHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryEndpointHost('127.0.0.1:5000'), '127.0.0.1:5000');
    assert.equal(registryEndpointHost('[::1]:5000'), '[::1]:5000');
  });
  test('isValidDomain / isValidPath', () => {
    assert.equal(isValidDomain('127.0.0.1:5000'), true);
    assert.equal(isValidDomain('[::1]:5000'), true);
    assert.equal(isValidDomain('host:port'), false);
    assert.equal(isValidDomain('-host'), false);
    assert.equal(isValidPath('library/busybox'), true);
    assert.equal(isValidPath('Library/busybox'), false);
    assert.equal(isValidPath('a'.repeat(256)), false);
  });
});

describe('image IDs', () => {
  test('isImageIdPrefix', () => {
    assert.equal(isImageIdPrefix(H64), true);
    assert.equal(isImageIdPrefix('sha256:' + H64), true);
    assert.equal(isImageIdPrefix('sha256:abcd'), true);
    assert.equal(isImageIdPrefix('0a1b2c'), true);
    assert.equal(isImageIdPrefix('abc'), false);
    assert.equal(isImageIdPrefix('busybox'), false);
    assert.equal(isImageIdPrefix('ABCDEF'), false);
    assert.equal(isImageIdPrefix('a'.repeat(65)), false);
    assert.equal(isImageIdPrefix('sha512:abcd'), false);
    assert.equal(imageIdPrefixHex('sha256:abcd12'), 'abcd12');
    assert.equal(imageIdPrefixHex('busybox'), undefined);
  });
  test('parseAnyReference', () => {
    assert.deepEqual(parseAnyReference(H64), { kind: 'id', id: 'sha256:' + H64 });
    assert.deepEqual(parseAnyReference(D), { kind: 'id', id: D });
    assert.deepEqual(parseAnyReference('busybox:1'), { kind: 'name', ref: { domain: 'docker.io', path: 'library/busybox', tag: '1' } });
    assert.deepEqual(parseAnyReference('sha256:abcd'), { kind: 'name', ref: { domain: 'docker.io', path: 'library/sha256', tag: 'abcd' } });
    assert.throws(() => parseAnyReference('UP'), { code: 'invalid_reference' });
  });
});
