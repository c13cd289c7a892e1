import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifestBytes, parseImageConfig } from '../../core/image/parse.ts';
import { MediaType } from '../../core/image/media-types.ts';
import { BerthError } from '../../core/errors.ts';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const d = (c: string) => `sha256:${c.repeat(64)}`;

function fails(fn: () => unknown, code: string, includes: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected BerthError, got ${e}`);
    assert.equal(e.code, code);
    assert.ok(e.message.includes(includes), `message ${JSON.stringify(e.message)} should include ${JSON.stringify(includes)}`);
    return true;
  });
}

// As `umoci new` writes them: no mediaType field in either document.
const UMOCI_INDEX = '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:85c58e32e1057543e3ef8c63d83a8b0f52c866111deff56a1b6b8752748ef8c3","size":192,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}';
const UMOCI_MANIFEST = '{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:2d493116ccd9c18cbf7795b0dac2d4a94790d0bb9ccfc21758b2ca9480b931df","size":134},"layers":[]}';
const UMOCI_CONFIG = '{"created":"2026-11-24T06:51:44.844651051Z","architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}';

const dockerManifest = {
  schemaVersion: 2,
  mediaType: MediaType.DockerManifest,
  config: { mediaType: MediaType.DockerConfig, size: 1457, digest: d('a') },
  layers: [
    { mediaType: MediaType.DockerLayer, size: 2152262, digest: d('b') },
    { mediaType: MediaType.DockerForeignLayer, size: 10, digest: d('c'), urls: ['https://example.invalid/l'] },
  ],
};
const manifestList = {
  schemaVersion: 2,
  mediaType: MediaType.DockerManifestList,
  manifests: [
    { mediaType: MediaType.DockerManifest, size: 528, digest: d('1'), platform: { architecture: 'amd64', os: 'linux' } },
    { mediaType: MediaType.DockerManifest, size: 528, digest: d('2'), platform: { architecture: 'arm', os: 'linux', variant: 'v7' } },
  ],
};

describe('parseManifestBytes: kinds and media types', () => {
  test('Docker schema 2 manifest', () => {
    const p = parseManifestBytes(enc(dockerManifest));
    assert.equal(p.kind, 'manifest');
    assert.equal(p.mediaType, MediaType.DockerManifest);
    if (p.kind !== 'manifest') return;
    assert.equal(p.manifest.layers.length, 2);
    assert.equal(p.manifest.config.digest, d('a'));
    assert.deepEqual(p.manifest.layers[1]!.urls, ['https://example.invalid/l']);
  });
  test('Docker manifest list', () => {
    const p = parseManifestBytes(enc(manifestList));
    assert.equal(p.kind, 'index');
    assert.equal(p.mediaType, MediaType.DockerManifestList);
    if (p.kind === 'index') assert.equal(p.index.manifests[1]!.platform!.variant, 'v7');
  });
  test('OCI index and manifest without mediaType are told apart by shape (umoci output)', () => {
    const i = parseManifestBytes(enc(UMOCI_INDEX));
    assert.equal(i.kind, 'index');
    assert.equal(i.mediaType, MediaType.OCIIndex);
    const m = parseManifestBytes(enc(UMOCI_MANIFEST));
    assert.equal(m.kind, 'manifest');
    assert.equal(m.mediaType, MediaType.OCIManifest);
    if (m.kind === 'manifest') assert.deepEqual(m.manifest.layers, []);
  });
  test('Content-Type decides when the document has no mediaType', () => {
    const p = parseManifestBytes(enc(UMOCI_MANIFEST), `${MediaType.DockerManifest}; charset=utf-8`);
    assert.equal(p.mediaType, MediaType.DockerManifest);
    // A generic content type says nothing; the shape decides.
    assert.equal(parseManifestBytes(enc(UMOCI_INDEX), 'application/json').mediaType, MediaType.OCIIndex);
  });
  test('the JSON mediaType wins over the Content-Type', () => {
    const p = parseManifestBytes(enc(dockerManifest), MediaType.OCIManifest);
    assert.equal(p.mediaType, MediaType.DockerManifest);
  });
  test('unknown fields are kept for round-tripping', () => {
    const p = parseManifestBytes(enc({ ...dockerManifest, annotations: { a: 'b' }, extra: 1 }));
    assert.equal((p as unknown as { manifest: Record<string, unknown> }).manifest.extra, 1);
  });
  test('OCI artifact manifest with subject', () => {
    const p = parseManifestBytes(enc({
      schemaVersion: 2, mediaType: MediaType.OCIManifest, artifactType: 'application/x.sig',
      config: { mediaType: MediaType.OCIEmpty, digest: d('e'), size: 2 }, layers: [],
      subject: { mediaType: MediaType.OCIManifest, digest: d('f'), size: 10 },
    }));
    assert.equal(p.kind, 'manifest');
  });
});

describe('parseManifestBytes: refusals', () => {
  test('schema 1 by mediaType, Content-Type or schemaVersion', () => {
    const msg = 'schema 1 manifests are not supported; push the image again with a current client';
    fails(() => parseManifestBytes(enc({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] })), 'invalid_manifest', msg);
    fails(() => parseManifestBytes(enc({ schemaVersion: 1, fsLayers: [] }), MediaType.DockerManifestV1Signed), 'invalid_manifest', msg);
    fails(() => parseManifestBytes(enc({ mediaType: MediaType.DockerManifestV1 })), 'invalid_manifest', msg);
  });
  test('not JSON, not an object, not UTF-8', () => {
    fails(() => parseManifestBytes(enc('{"schemaVersion":')), 'invalid_manifest', 'not valid JSON');
    fails(() => parseManifestBytes(enc('[1,2]')), 'invalid_manifest', 'document must be a JSON object');
    fails(() => parseManifestBytes(new Uint8Array([0x7b, 0xff, 0x7d])), 'invalid_manifest', 'not valid UTF-8');
  });
  test('unknown kind', () => {
    fails(() => parseManifestBytes(enc({ schemaVersion: 2 })), 'invalid_manifest', 'cannot tell whether');
    fails(() => parseManifestBytes(enc({ schemaVersion: 2, mediaType: 'text/html' })), 'invalid_manifest',
      'unsupported manifest media type "text/html"');
  });
  test('schemaVersion', () => {
    fails(() => parseManifestBytes(enc({ ...dockerManifest, schemaVersion: 3 })), 'invalid_manifest', 'schemaVersion must be 2, got 3');
    fails(() => parseManifestBytes(enc({ ...dockerManifest, schemaVersion: undefined })), 'invalid_manifest', 'schemaVersion must be 2');
  });
  test('config and layers present', () => {
    fails(() => parseManifestBytes(enc({ ...dockerManifest, config: undefined })), 'invalid_manifest', 'must have a config');
    fails(() => parseManifestBytes(enc({ ...dockerManifest, layers: undefined })), 'invalid_manifest', 'must have layers');
    fails(() => parseManifestBytes(enc({ ...dockerManifest, layers: {} })), 'invalid_manifest', 'layers must be an array');
    fails(() => parseManifestBytes(enc({ ...manifestList, manifests: undefined })), 'invalid_manifest', 'must list manifests');
    fails(() => parseManifestBytes(enc({ ...manifestList, layers: [] })), 'invalid_manifest', 'must not have config or layers');
  });
  test('descriptors', () => {
    const withLayer = (l: unknown) => enc({ ...dockerManifest, layers: [dockerManifest.layers[0], l] });
    const good = dockerManifest.layers[0]!;
    fails(() => parseManifestBytes(withLayer({ ...good, digest: 'sha256:abc' })), 'invalid_manifest', 'layers[1].digest');
    fails(() => parseManifestBytes(withLayer({ ...good, digest: 'md5:' + 'a'.repeat(32) })), 'invalid_manifest', 'unsupported digest algorithm');
    fails(() => parseManifestBytes(withLayer({ ...good, digest: undefined })), 'invalid_manifest', 'layers[1].digest must be a string');
    fails(() => parseManifestBytes(withLayer({ ...good, size: -1 })), 'invalid_manifest', 'layers[1].size must be a non-negative integer, got -1');
    fails(() => parseManifestBytes(withLayer({ ...good, size: 1.5 })), 'invalid_manifest', 'layers[1].size');
    fails(() => parseManifestBytes(withLayer({ ...good, size: '12' })), 'invalid_manifest', 'layers[1].size');
    fails(() => parseManifestBytes(withLayer({ ...good, size: undefined })), 'invalid_manifest', 'layers[1].size');
    fails(() => parseManifestBytes(withLayer({ ...good, mediaType: '' })), 'invalid_manifest', 'layers[1].mediaType must not be empty');
    fails(() => parseManifestBytes(withLayer({ ...good, urls: 'x' })), 'invalid_manifest', 'layers[1].urls must be an array');
    fails(() => parseManifestBytes(withLayer({ ...good, annotations: { a: 1 } })), 'invalid_manifest', 'layers[1].annotations["a"] must be a string');
    fails(() => parseManifestBytes(withLayer(null)), 'invalid_manifest', 'layers[1] must be a JSON object');
    fails(() => parseManifestBytes(enc({ ...dockerManifest, config: { ...dockerManifest.config, digest: d('A') } })),
      'invalid_manifest', 'config.digest');
    fails(() => parseManifestBytes(enc({ ...manifestList, manifests: [{ ...manifestList.manifests[0], platform: { os: 'linux' } }] })),
      'invalid_manifest', 'manifests[0].platform.architecture must be a string');
  });
});

describe('parseImageConfig', () => {
  const config = {
    architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z',
    config: {
      Env: ['PATH=/usr/bin'], Cmd: ['sh'], Entrypoint: null, WorkingDir: '/', Labels: { a: 'b' },
      ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} }, Healthcheck: { Test: ['CMD', 'true'], Interval: 1000000000 },
    },
    rootfs: { type: 'layers', diff_ids: [d('1'), d('2')] },
    history: [{ created_by: 'ADD file', empty_layer: false }, { created_by: 'CMD', empty_layer: true }],
  };
  test('a real config (umoci output) and a full one', () => {
    const u = parseImageConfig(enc(UMOCI_CONFIG));
    assert.equal(u.architecture, 'amd64');
    assert.deepEqual(u.rootfs, { type: 'layers', diff_ids: [] });
    const c = parseImageConfig(enc(config));
    assert.deepEqual(c.rootfs.diff_ids, [d('1'), d('2')]);
    assert.deepEqual(c.config!.Cmd, ['sh']);
  });
  test('diff_ids omitted (Go omitempty) means no layers', () => {
    assert.deepEqual(parseImageConfig(enc({ ...config, rootfs: { type: 'layers' } })).rootfs.diff_ids, []);
  });
  test('refusals name the field', () => {
    const bad = (patch: Record<string, unknown>, includes: string) =>
      fails(() => parseImageConfig(enc({ ...config, ...patch })), 'invalid_config', includes);
    bad({ os: undefined }, 'invalid image config: os must be a string');
    bad({ architecture: '' }, 'architecture must not be empty');
    bad({ rootfs: undefined }, 'rootfs is missing');
    bad({ rootfs: { type: 'tar', diff_ids: [] } }, 'rootfs.type must be "layers", got "tar"');
    bad({ rootfs: { type: 'layers', diff_ids: 'x' } }, 'rootfs.diff_ids must be an array');
    bad({ rootfs: { type: 'layers', diff_ids: [d('1'), 'sha256:short'] } }, 'rootfs.diff_ids[1]: invalid checksum digest');
    bad({ created: 'yesterday' }, 'created is not an RFC 3339 time');
    bad({ config: { Env: 'PATH=/' } }, 'config.Env must be an array of strings');
    bad({ config: { Cmd: [1] } }, 'config.Cmd[0] must be a string');
    bad({ config: { Labels: { a: 1 } } }, 'config.Labels["a"] must be a string');
    bad({ config: { ExposedPorts: ['80'] } }, 'config.ExposedPorts must be a JSON object');
    bad({ config: { Healthcheck: { Retries: -2 } } }, 'config.Healthcheck.Retries must be a non-negative integer');
    bad({ history: {} }, 'history must be an array');
    bad({ history: [{ empty_layer: 'yes' }] }, 'history[0].empty_layer must be a boolean');
    bad({ variant: 7 }, 'invalid image config: variant must be a string');
    fails(() => parseImageConfig(enc('nope')), 'invalid_config', 'not valid JSON');
  });
});
