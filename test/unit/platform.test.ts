import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePlatform, formatPlatform, normalizePlatform, platformMatches, platformRank, compatiblePlatforms,
  selectManifest, matchingManifests, platformOfConfig, LINUX_AMD64, LINUX_386, WASI_WASM,
} from '../../core/image/platform.ts';
import type { Descriptor, Index, Platform } from '../../core/image/types.ts';
import { BerthError } from '../../core/errors.ts';

describe('parsePlatform', () => {
  const cases: Array<[string, Platform]> = [
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/386', { os: 'linux', architecture: '386' }],
    ['wasi/wasm', { os: 'wasi', architecture: 'wasm' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/x86-64', { os: 'linux', architecture: 'amd64' }],
    ['Linux/AMD64', { os: 'linux', architecture: 'amd64' }],
    ['linux/i386', { os: 'linux', architecture: '386' }],
    ['linux/i686', { os: 'linux', architecture: '386' }],
    // containerd leaves arm's default v7 unwritten after an os/arch pair; normalizePlatform restores it.
    ['linux/armhf', { os: 'linux', architecture: 'arm' }],
    ['linux/armel', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/arm', { os: 'linux', architecture: 'arm' }],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/amd64/v3', { os: 'linux', architecture: 'amd64', variant: 'v3' }],
    ['macos/arm64', { os: 'darwin', architecture: 'arm64' }],
    ['windows(10.0.17763)/amd64', { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763' }],
    // One component: an OS gets the host's architecture, an architecture the host's OS.
    ['linux', { os: 'linux', architecture: 'amd64' }],
    ['arm64', { os: 'linux', architecture: 'arm64' }],
    ['i386', { os: 'linux', architecture: '386' }],
  ];
  for (const [s, want] of cases) test(s, () => assert.deepEqual(parsePlatform(s), want));

  test('one component with another host', () => {
    assert.deepEqual(parsePlatform('linux', LINUX_386), { os: 'linux', architecture: '386' });
    assert.deepEqual(parsePlatform('wasm', WASI_WASM), { os: 'wasi', architecture: 'wasm' });
  });
  test('errors', () => {
    const bad = (s: string, includes: string) => assert.throws(() => parsePlatform(s), (e: unknown) => {
      assert.ok(e instanceof BerthError);
      assert.equal(e.code, 'invalid_argument');
      assert.ok(e.message.includes(includes), e.message);
      assert.ok(e.message.endsWith(': invalid argument'), e.message);
      return true;
    });
    bad('linux/amd64/v1/x', '"linux/amd64/v1/x": cannot parse platform specifier');
    bad('nonsense', '"nonsense": unknown operating system or architecture');
    bad('linux/*', 'wildcards not yet supported');
    bad('', 'is an invalid OS component');
    bad('linux/', '"" is an invalid component of "linux/"');
    bad('linux/am d64', 'is an invalid component');
    bad('lin ux/amd64', 'is an invalid OS component');
  });
});

describe('formatPlatform and normalizePlatform', () => {
  test('format', () => {
    assert.equal(formatPlatform(LINUX_AMD64), 'linux/amd64');
    assert.equal(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'linux/arm/v7');
    assert.equal(formatPlatform(parsePlatform('linux/arm64/v8')), 'linux/arm64/v8');
    assert.equal(formatPlatform(WASI_WASM), 'wasi/wasm');
  });
  test('normalize', () => {
    assert.deepEqual(normalizePlatform({ os: 'Linux', architecture: 'x86_64' }), LINUX_AMD64);
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'aarch64', variant: 'v8' }), { os: 'linux', architecture: 'arm64' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm64', variant: '9' }), { os: 'linux', architecture: 'arm64', variant: 'v9' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'i586' }), LINUX_386);
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'armhf' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'amd64', variant: 'v1' }), LINUX_AMD64);
  });
});

describe('matching', () => {
  test('compatiblePlatforms orders as containerd', () => {
    assert.deepEqual(compatiblePlatforms(LINUX_AMD64).map(formatPlatform), ['linux/amd64', 'linux/386']);
    assert.deepEqual(compatiblePlatforms({ os: 'linux', architecture: 'amd64', variant: 'v3' }).map(formatPlatform),
      ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386']);
    assert.deepEqual(compatiblePlatforms({ os: 'linux', architecture: 'arm', variant: 'v7' }).map(formatPlatform),
      ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
    assert.deepEqual(compatiblePlatforms(parsePlatform('linux/arm64/v8')).map(formatPlatform),
      ['linux/arm64', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
    assert.deepEqual(compatiblePlatforms(LINUX_386).map(formatPlatform), ['linux/386']);
    assert.deepEqual(compatiblePlatforms(WASI_WASM).map(formatPlatform), ['wasi/wasm']);
  });
  test('platformMatches', () => {
    assert.equal(platformMatches(LINUX_AMD64, { os: 'linux', architecture: 'amd64' }), true);
    assert.equal(platformMatches(LINUX_AMD64, { os: 'linux', architecture: 'x86_64' }), true);
    assert.equal(platformMatches(LINUX_AMD64, LINUX_386), true);
    assert.equal(platformMatches(LINUX_386, LINUX_AMD64), false);
    assert.equal(platformMatches(LINUX_AMD64, { os: 'linux', architecture: 'amd64', variant: 'v2' }), false);
    assert.equal(platformMatches(LINUX_AMD64, WASI_WASM), false);
    assert.equal(platformMatches(WASI_WASM, { os: 'wasi', architecture: 'wasm' }), true);
    assert.equal(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' }), true);
    assert.equal(platformMatches(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' }), true);
    assert.equal(platformMatches(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v7' }), false);
    assert.equal(platformMatches(LINUX_AMD64, { os: 'windows', architecture: 'amd64' }), false);
    assert.equal(platformMatches(LINUX_AMD64, { os: 'unknown', architecture: 'unknown' }), false);
    assert.equal(platformRank(LINUX_AMD64, LINUX_386), 1);
  });
  test('platformOfConfig', () => {
    assert.deepEqual(platformOfConfig({ os: 'linux', architecture: 'arm64', variant: 'v8' }), { os: 'linux', architecture: 'arm64' });
  });
});

describe('selectManifest', () => {
  const desc = (n: string, platform?: Platform): Descriptor => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${n.repeat(64)}`, size: 100,
    ...(platform ? { platform } : {}),
  });
  const index: Index = {
    schemaVersion: 2,
    manifests: [
      desc('0'), // no platform: an artifact, never chosen
      desc('1', { os: 'unknown', architecture: 'unknown' }), // buildx attestation
      desc('2', { os: 'linux', architecture: '386' }),
      desc('3', { os: 'linux', architecture: 'arm', variant: 'v6' }),
      desc('4', { os: 'linux', architecture: 'arm', variant: 'v7' }),
      desc('5', { os: 'linux', architecture: 'amd64' }),
      desc('6', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      desc('7', { os: 'wasi', architecture: 'wasm' }),
    ],
  };
  const pick = (want: Platform, idx: Index = index) => selectManifest(idx, want).digest[7];
  test('exact match wins over compatible ones, wherever it is listed', () => {
    assert.equal(pick(LINUX_AMD64), '5');
    assert.equal(pick(LINUX_386), '2');
    assert.equal(pick(WASI_WASM), '7');
    assert.equal(pick(parsePlatform('linux/arm/v7')), '4');
    assert.equal(pick(parsePlatform('linux/arm64')), '6');
    assert.equal(pick(parsePlatform('linux/arm64/v8')), '6');
  });
  test('falls back to a compatible variant', () => {
    const noAmd64: Index = { ...index, manifests: index.manifests.filter((d) => d.digest[7] !== '5') };
    assert.equal(pick(LINUX_AMD64, noAmd64), '2');
    const noV7: Index = { ...index, manifests: index.manifests.filter((d) => d.digest[7] !== '4') };
    assert.equal(pick(parsePlatform('linux/arm/v7'), noV7), '3');
    const armOnly: Index = { ...index, manifests: index.manifests.filter((d) => d.digest[7] === '3' || d.digest[7] === '4') };
    assert.equal(pick(parsePlatform('linux/arm64'), armOnly), '4');
    assert.deepEqual(matchingManifests(armOnly, parsePlatform('linux/arm64')).map((d) => d.digest[7]), ['4', '3']);
  });
  test('no match: Docker\'s message', () => {
    const only386: Index = { schemaVersion: 2, manifests: [desc('2', LINUX_386)] };
    assert.throws(() => selectManifest(only386, WASI_WASM), (e: unknown) => {
      assert.ok(e instanceof BerthError);
      assert.equal(e.code, 'not_found');
      assert.equal(e.message, 'no matching manifest for wasi/wasm in the manifest list entries');
      return true;
    });
    assert.throws(() => selectManifest(only386, parsePlatform('linux/arm64/v8')),
      { message: 'no matching manifest for linux/arm64/v8 in the manifest list entries' });
    assert.throws(() => selectManifest({ schemaVersion: 2, manifests: [] }, LINUX_AMD64),
      { message: 'no matching manifest for linux/amd64 in the manifest list entries' });
  });
});
