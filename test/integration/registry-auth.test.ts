// Authentication end to end: our server with its built-in Bearer token endpoint (and with Basic),
// our client's token flow (anonymous, password over GET, identity token over POST, caching), and
// skopeo logging in to the standalone server entry.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveRegistry, type Served } from '../../host-linux/registry/serve.ts';
import { RegistryClient } from '../../core/registry/client.ts';
import { nodeHash } from '../../host-linux/services.ts';
import { parseReference } from '../../core/reference/reference.ts';
import { BerthError } from '../../core/errors.ts';
import type { Credentials } from '../../core/auth/credentials.ts';
import { freePort, htpasswdLine, makeImage, run, writeOciLayout, type TestImage } from './registry-fixtures.ts';

async function push(c: RegistryClient, refText: string, img: TestImage): Promise<void> {
  const ref = parseReference(refText);
  for (const l of [...img.layers, img.config]) {
    if (!(await c.headBlob(ref, l.digest, { push: true }))) await c.uploadBlob(ref, { digest: l.digest, size: l.size, data: l.bytes });
  }
  await c.putManifest(ref, img.manifest, img.mediaType);
}

function counting(): { fetch: typeof fetch; tokenRequests: string[] } {
  const tokenRequests: string[] = [];
  return {
    tokenRequests,
    fetch: async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (new URL(url).pathname === '/token') tokenRequests.push(`${init?.method ?? 'GET'} ${url}`);
      return fetch(input, init);
    },
  };
}

describe('Bearer token auth on our registry', () => {
  let root: string;
  let served: Served;
  let host: string;
  let img: TestImage;
  const client = (creds?: Credentials, f: typeof fetch = globalThis.fetch) => new RegistryClient({
    fetch: f, hash: nodeHash, scheme: () => 'http', timeoutMs: 5000, ...(creds ? { credentials: async () => creds } : {}),
  });
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-registry-auth-'));
    served = await serveRegistry({ addr: '127.0.0.1:0', root, auth: { scheme: 'bearer', htpasswd: await htpasswdLine('alice', 'pw-alice') } });
    host = new URL(served.url).host;
    img = await makeImage([{ 'secret.txt': 'only for alice\n' }]);
  });
  after(async () => {
    await served?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('challenges with a Bearer realm on this server', async () => {
    const r = await fetch(`${served.url}/v2/`);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), `Bearer realm="${served.url}/token",service="berth-registry"`);
    assert.deepEqual(await client().ping(host), { authSchemes: ['bearer'] });
  });

  it('pushes and pulls with a password, fetching one token per scope set', async () => {
    const f = counting();
    const c = client({ username: 'alice', password: 'pw-alice' }, f.fetch);
    await push(c, `${host}/private/app:v1`, img);
    const m = await c.getManifest(parseReference(`${host}/private/app:v1`));
    assert.equal(m.digest, img.manifestDigest);
    await c.getBlobBytes(parseReference(`${host}/private/app`), img.layers[0]!.digest);
    assert.deepEqual(f.tokenRequests.map((r) => new URL(r.split(' ')[1]!).searchParams.getAll('scope')), [
      ['repository:private/app:pull,push'], ['repository:private/app:pull'],
    ]);
    assert.ok(f.tokenRequests.every((r) => r.startsWith('GET ') && r.includes('account=alice')));
  });

  it('refuses anonymous pulls and wrong passwords with Docker\'s messages', async () => {
    await assert.rejects(client().getManifest(parseReference(`${host}/private/app:v1`)), (e) => {
      assert.ok(e instanceof BerthError);
      assert.match(e.message, /^pull access denied for 127\.0\.0\.1:\d+\/private\/app, repository does not exist or may require 'docker login': unauthorized: authentication required$/);
      return true;
    });
    await assert.rejects(client({ username: 'alice', password: 'nope' }).getManifest(parseReference(`${host}/private/app:v1`)),
      (e) => { assert.equal((e as Error).message, 'unauthorized: incorrect username or password'); return true; });
    await assert.rejects(client({ username: 'alice', password: 'nope' }).login(host, { username: 'alice', password: 'nope' }),
      /^BerthError: unauthorized: incorrect username or password$/);
    await assert.rejects(client().uploadBlob(parseReference(`${host}/private/app`), { digest: img.config.digest, size: img.config.size, data: img.config.bytes }),
      /unauthorized: authentication required/);
  });

  it('logs in for an identity token and uses it with the OAuth2 POST flow', async () => {
    const { identityToken } = await client().login(host, { username: 'alice', password: 'pw-alice' });
    assert.ok(identityToken && identityToken.length > 20);
    const f = counting();
    const c = client({ username: 'alice', identitytoken: identityToken }, f.fetch);
    assert.equal((await c.getManifest(parseReference(`${host}/private/app:v1`))).digest, img.manifestDigest);
    assert.equal(f.tokenRequests.length, 1);
    assert.match(f.tokenRequests[0]!, /^POST /);
    await assert.rejects(client({ identitytoken: 'forged' }).getManifest(parseReference(`${host}/private/app:v1`)),
      /unauthorized: invalid refresh token/);
  });

  it('mounts across repositories only with pull access to the source', async () => {
    const c = client({ username: 'alice', password: 'pw-alice' });
    assert.deepEqual(await c.mountBlob(parseReference(`${host}/private/copy`), img.layers[0]!.digest, 'private/app'), { mounted: true });
  });
});

describe('anonymous pulls and Basic auth on our registry', () => {
  let root: string;
  let bearer: Served;
  let basic: Served;
  let img: TestImage;
  const client = (creds?: Credentials) => new RegistryClient({
    fetch: globalThis.fetch, hash: nodeHash, scheme: () => 'http', timeoutMs: 5000, ...(creds ? { credentials: async () => creds } : {}),
  });
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-registry-auth2-'));
    const htpasswd = await htpasswdLine('bob', 'pw-bob');
    bearer = await serveRegistry({ addr: '127.0.0.1:0', root: join(root, 'a'), auth: { scheme: 'bearer', htpasswd, anonymousPull: true } });
    basic = await serveRegistry({ addr: '127.0.0.1:0', root: join(root, 'b'), auth: { scheme: 'basic', htpasswd, realm: 'test-realm' } });
    img = await makeImage([{ 'public.txt': 'for everyone\n' }]);
  });
  after(async () => {
    await bearer?.close();
    await basic?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('lets anyone pull but only users push (Bearer, anonymous pull)', async () => {
    const host = new URL(bearer.url).host;
    await push(client({ username: 'bob', password: 'pw-bob' }), `${host}/pub/app:1`, img);
    assert.equal((await client().getManifest(parseReference(`${host}/pub/app:1`))).digest, img.manifestDigest);
    await assert.rejects(push(client(), `${host}/pub/app:2`, img), /unauthorized: authentication required/);
  });

  it('checks the password on every request (Basic)', async () => {
    const host = new URL(basic.url).host;
    const r = await fetch(`${basic.url}/v2/`);
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="test-realm"');
    await push(client({ username: 'bob', password: 'pw-bob' }), `${host}/b/app:1`, img);
    assert.equal((await client({ username: 'bob', password: 'pw-bob' }).getManifest(parseReference(`${host}/b/app:1`))).digest, img.manifestDigest);
    await assert.rejects(client().getManifest(parseReference(`${host}/b/app:1`)), /pull access denied .*unauthorized: authentication required/);
    await assert.rejects(client({ username: 'bob', password: 'x' }).getManifest(parseReference(`${host}/b/app:1`)), /pull access denied/);
  });
});

describe('the standalone registry entry with skopeo logging in', () => {
  let root: string;
  let child: ChildProcess;
  let url: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-registry-main-'));
    await writeFile(join(root, 'htpasswd'), await htpasswdLine('carol', 'pw-carol'));
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'host-linux/registry/main.ts', '--addr', `127.0.0.1:${port}`,
      '--root', join(root, 'data'), '--htpasswd', join(root, 'htpasswd'), '--auth', 'bearer'], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout!.on('data', (d) => { out += String(d); const m = /listening on (\S+)/.exec(out); if (m) resolve(m[1]!); });
      child.stderr!.on('data', (d) => { err += String(d); });
      child.once('exit', (code) => reject(new Error(`registry exited with ${code}: ${err}`)));
    });
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(root, { recursive: true, force: true });
  });

  it('takes a push from skopeo with credentials and refuses one without', async () => {
    const host = new URL(url).host;
    const img = await makeImage([{ 'from-skopeo': 'yes' }]);
    const dir = join(root, 'layout');
    await writeOciLayout(dir, img, 'v1');
    const denied = await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${dir}:v1`, `docker://${host}/sk/app:v1`]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /unauthorized|authentication required|denied/i);
    const ok = await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'carol:pw-carol', `oci:${dir}:v1`, `docker://${host}/sk/app:v1`]);
    assert.equal(ok.code, 0, ok.stderr);
    const c = new RegistryClient({ fetch: globalThis.fetch, hash: nodeHash, scheme: () => 'http', credentials: async () => ({ username: 'carol', password: 'pw-carol' }) });
    assert.equal((await c.getManifest(parseReference(`${host}/sk/app:v1`))).digest, img.manifestDigest);
    assert.deepEqual(await c.listTags(parseReference(`${host}/sk/app`)), ['v1']);
  });
});
