// Pure pieces of the registry protocol: WWW-Authenticate, Link pagination, the spec's error
// bodies, byte ranges, manifest checks, and media-type inference.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from '../../core/registry/challenge.ts';
import { nextLink } from '../../core/registry/link-header.ts';
import { decodeErrorBody, entriesText, errorFromResponse } from '../../core/registry/registry-error.ts';
import { parseRange } from '../../core/registry/server/blobs.ts';
import { checkManifest } from '../../core/registry/server/manifest-check.ts';
import { chunked, manifestMediaType } from '../../core/registry/client.ts';
import { networkReason } from '../../core/registry/transport.ts';
import { parseHtpasswd } from '../../core/registry/server/access.ts';
import { SpecError } from '../../core/registry/server/spec-error.ts';

const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('WWW-Authenticate', () => {
  it('parses Docker Hub\'s Bearer challenge with commas inside quotes', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' } },
    ]);
  });
  it('parses several challenges, unquoted values and escapes', () => {
    assert.deepEqual(parseChallenges('Basic realm="a \\"b\\"", Bearer realm=https://x/token, error=insufficient_scope'), [
      { scheme: 'basic', params: { realm: 'a "b"' } },
      { scheme: 'bearer', params: { realm: 'https://x/token', error: 'insufficient_scope' } },
    ]);
    assert.deepEqual(parseChallenges(null), []);
    assert.deepEqual(parseChallenges(''), []);
  });
});

describe('Link pagination', () => {
  it('finds rel="next"', () => {
    assert.equal(nextLink('</v2/x/tags/list?n=2&last=b>; rel="next"'), '/v2/x/tags/list?n=2&last=b');
    assert.equal(nextLink('<https://r/v2/_catalog?last=a&n=1>; rel=next'), 'https://r/v2/_catalog?last=a&n=1');
    assert.equal(nextLink('</a>; rel="prev", </b>; rel="next"'), '/b');
    assert.equal(nextLink('</a>; rel="prev"'), undefined);
    assert.equal(nextLink(null), undefined);
  });
});

describe('registry errors', () => {
  it('reads the spec\'s JSON and words it as distribution\'s errcode does', () => {
    const entries = decodeErrorBody(404, JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }] }));
    assert.equal(entriesText(entries), 'manifest unknown: manifest unknown');
    assert.equal(entriesText([{ code: 'NAME_UNKNOWN' }]), 'name unknown: repository name not known to registry');
    assert.equal(entriesText([{ code: 'DENIED', message: 'no' }, { code: 'UNAUTHORIZED', message: 'who' }]), 'denied: no; unauthorized: who');
  });
  it('synthesizes entries for bare statuses and token servers\' details', () => {
    assert.deepEqual(decodeErrorBody(401, ''), [{ code: 'UNAUTHORIZED' }]);
    assert.deepEqual(decodeErrorBody(403, 'nope'), [{ code: 'DENIED' }]);
    assert.deepEqual(decodeErrorBody(401, '{"details":"incorrect username or password"}'), [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }]);
    assert.deepEqual(decodeErrorBody(500, '<html>'), []);
  });
  it('maps responses to BerthError codes and texts', async () => {
    const e = await errorFromResponse(new Response('oops', { status: 502 }));
    assert.equal(e.message, 'received unexpected HTTP status: 502 Bad Gateway');
    assert.equal(e.code, 'registry_error');
    const nf = await errorFromResponse(new Response('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}', { status: 404 }), 'ctx');
    assert.equal(nf.message, 'ctx: blob unknown: blob unknown to registry');
    assert.equal(nf.code, 'not_found');
    assert.ok(nf.has('BLOB_UNKNOWN'));
  });
});

describe('network failure wording', () => {
  const url = new URL('https://registry.example:5000/v2/');
  it('speaks Go\'s words for refused, unresolvable and TLS-to-HTTP', () => {
    const wrap = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { code }) });
    assert.equal(networkReason(wrap('ECONNREFUSED'), url), 'dial tcp registry.example:5000: connect: connection refused');
    assert.equal(networkReason(wrap('ENOTFOUND'), url), 'dial tcp: lookup registry.example: no such host');
    assert.equal(networkReason(wrap('ERR_SSL_WRONG_VERSION_NUMBER'), url), 'http: server gave HTTP response to HTTPS client');
    const agg = Object.assign(new TypeError('fetch failed'), { cause: new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })]) });
    assert.equal(networkReason(agg, new URL('http://h/v2/')), 'dial tcp h:80: connect: connection refused');
  });
});

describe('byte ranges', () => {
  it('parses the forms blob GETs use', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=5-1', 100), 'unsatisfiable');
    assert.equal(parseRange('items=1-2', 100), 'unsatisfiable');
    assert.equal(parseRange(null, 100), undefined);
  });
});

describe('manifest checks on push', () => {
  const manifest = {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D('a'), size: 2 },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('b'), size: 3 },
      { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: D('c'), size: 4, urls: ['https://x'] },
    ],
  };
  it('lists the blobs a manifest needs, skipping foreign layers', () => {
    const c = checkManifest(enc(manifest), 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual(c, { mediaType: manifest.mediaType, blobs: [D('a'), D('b')], manifests: [] });
  });
  it('lists an index\'s child manifests and takes the type from the body when Content-Type is generic', () => {
    const index = { schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, digest: D('d'), size: 10 }] };
    assert.deepEqual(checkManifest(enc(index), 'application/json'), { mediaType: 'application/vnd.oci.image.index.v1+json', blobs: [], manifests: [D('d')] });
  });
  it('records subject and artifactType for referrers', () => {
    const art = { ...manifest, layers: [], artifactType: 'application/x-sbom', subject: { mediaType: manifest.mediaType, digest: D('e'), size: 1 } };
    const c = checkManifest(enc(art), manifest.mediaType);
    assert.equal(c.subject, D('e'));
    assert.equal(c.artifactType, 'application/x-sbom');
  });
  it('refuses what distribution refuses, with MANIFEST_INVALID', () => {
    const bad = (bytes: Uint8Array, ct: string, re: RegExp) => assert.throws(() => checkManifest(bytes, ct), (e) => {
      assert.ok(e instanceof SpecError);
      assert.equal(e.code, 'MANIFEST_INVALID');
      assert.match(String(e.detail), re);
      return true;
    });
    bad(new TextEncoder().encode('{'), manifest.mediaType, /not a JSON object/);
    bad(enc({ ...manifest, schemaVersion: 1 }), manifest.mediaType, /schema 1/);
    bad(enc(manifest), 'application/vnd.docker.distribution.manifest.v2+json', /does not match Content-Type/);
    bad(enc({ ...manifest, layers: [{ mediaType: 'x', digest: 'sha256:zz', size: 1 }] }), manifest.mediaType, /layers\[0\]: invalid digest/);
    bad(enc({ ...manifest, config: { ...manifest.config, size: -1 } }), manifest.mediaType, /config: invalid size/);
  });
});

describe('small helpers', () => {
  it('infers manifest media types', () => {
    assert.equal(manifestMediaType('application/vnd.docker.distribution.manifest.v2+json; charset=utf-8', new Uint8Array()), 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(manifestMediaType('application/json', enc({ manifests: [] })), 'application/vnd.oci.image.index.v1+json');
    assert.equal(manifestMediaType(null, enc({ schemaVersion: 1 })), 'application/vnd.docker.distribution.manifest.v1+json');
  });
  it('re-cuts a stream into fixed chunks', async () => {
    const src = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new Uint8Array(5)); c.enqueue(new Uint8Array(7)); c.enqueue(new Uint8Array(1)); c.close(); } });
    const sizes: number[] = [];
    for await (const c of chunked(src, 4) as unknown as AsyncIterable<Uint8Array>) sizes.push(c.byteLength);
    assert.deepEqual(sizes, [4, 4, 4, 1]);
  });
  it('reads htpasswd content', () => {
    assert.deepEqual([...parseHtpasswd('# users\nalice:$2y$05$abc\n\nbad line\nbob:$2b$x\n')], [['alice', '$2y$05$abc'], ['bob', '$2b$x']]);
  });
});
