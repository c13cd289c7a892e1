// Issue 2 audit: `insecure-registries` and `registry-mirrors` from daemon.json change what berthd
// does, not only what `docker info` lists. A registry is reached through a host name (this machine's
// own, when it resolves to loopback): berthd resolves it and, as dockerd, treats loopback as plain
// HTTP with or without the setting (which `info` still reports).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushTestImage, type BuiltImage } from '../helpers/test-image.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

const NAME = hostname();
const loopbackName = await lookup(NAME).then((a) => a.address.startsWith('127.') || a.address === '::1', () => false);
const skip = loopbackName ? false : `${NAME} does not resolve to a loopback address here`;

let registry: TestRegistry;
let mirror: TestRegistry;
let configured: TestDaemon;
let plain: TestDaemon;
let dir: string;
let image: BuiltImage;
let port: string;

async function pull(daemon: TestDaemon, repo: string, tag: string): Promise<string> {
  const r = await daemon.request('POST', `/v1.47/images/create?fromImage=${encodeURIComponent(repo)}&tag=${tag}`, undefined, { 'x-registry-auth': 'e30=' });
  if (r.status !== 200) return (JSON.parse(r.body) as { message: string }).message;
  const last = r.body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as { status?: string; error?: string }).pop();
  return last?.error ?? last?.status ?? '';
}

describe('issue 2 audit: registry settings from daemon.json', { skip }, () => {
  before(async () => {
    dir = await tempDir('berth-audit-registry-config-');
    [registry, mirror] = await Promise.all([startRegistry(), startRegistry()]);
    port = registry.host.split(':')[1]!;
    image = await buildTestImage({ layers: [{ files: { 'named.txt': 'reached by name' } }] });
    await pushTestImage(registry.url, 'audit/named', 'v1', image);
    await pushTestImage(mirror.url, 'library/from-mirror', 'latest', image);
    const config = join(dir, 'daemon.json');
    await writeFile(config, JSON.stringify({ 'insecure-registries': [`${NAME}:${port}`], 'registry-mirrors': [mirror.url] }));
    const blockHub = { BERTH_BLOCK_HOSTS: 'registry-1.docker.io,auth.docker.io,index.docker.io' };
    [configured, plain] = await Promise.all([
      startBerthd({ args: ['--config-file', config], env: blockHub }),
      startBerthd({ env: blockHub }),
    ]);
  });
  after(async () => {
    await Promise.all([configured?.cleanup(), plain?.cleanup(), registry?.stop(), mirror?.stop()]);
    await removeDir(dir);
  });

  test('a registry listed in insecure-registries is spoken to over plain HTTP', async () => {
    assert.equal(await pull(configured, `${NAME}:${port}/audit/named`, 'v1'), `Status: Downloaded newer image for ${NAME}:${port}/audit/named:v1`);
    const info = JSON.parse((await configured.request('GET', '/v1.47/info')).body) as { RegistryConfig: { IndexConfigs: Record<string, { Secure: boolean }> } };
    assert.equal(info.RegistryConfig.IndexConfigs[`${NAME}:${port}`]?.Secure, false);
  });

  test('Docker Hub names come from the mirror in registry-mirrors', async () => {
    assert.equal(await pull(configured, 'from-mirror', 'latest'), 'Status: Downloaded newer image for from-mirror:latest');
    const inspect = JSON.parse((await configured.request('GET', '/v1.47/images/from-mirror/json')).body) as { Id: string };
    assert.equal(inspect.Id, image.configDigest);
  });

  test('a registry name that resolves to loopback is plain HTTP without any setting, as dockerd decides', async () => {
    assert.equal(await pull(plain, `${NAME}:${port}/audit/named`, 'v1'), `Status: Downloaded newer image for ${NAME}:${port}/audit/named:v1`);
  });

  test('a name that does not resolve is spoken to over HTTPS, and the error is one line', async () => {
    const message = await pull(plain, `nothere.invalid:${port}/audit/named`, 'v1');
    assert.match(message, /^cannot reach registry nothere\.invalid:\d+: Get "https:\/\/nothere\.invalid:\d+\/v2\/": dial tcp: lookup nothere\.invalid/);
    assert.equal(message.includes('\n'), false, message);
  });
});
