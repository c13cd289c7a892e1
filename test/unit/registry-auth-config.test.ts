// Docker's config.json credentials and the X-Registry-Auth header codec.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DOCKER_HUB_KEY, credentialKey, credentialsFromFile, listCredentials, loadCredentials, removeCredentials, storeCredentials, type TextFile,
} from '../../core/auth/docker-config.ts';
import { authCredentials, decodeRegistryAuth, decodeRegistryConfig, encodeRegistryAuth } from '../../core/auth/registry-auth-header.ts';
import { decodeBase64Text, encodeBase64 } from '../../core/auth/base64.ts';

function memoryFile(initial?: string): TextFile & { text: string | undefined } {
  const f = {
    text: initial,
    async read() { return f.text; },
    async write(t: string) { f.text = t; },
  };
  return f;
}

describe('config.json credentials', () => {
  it('stores, loads and removes a login in Docker\'s format', async () => {
    const f = memoryFile();
    await storeCredentials(f, '127.0.0.1:5000', 'alice', 'pä:ss');
    assert.deepEqual(JSON.parse(f.text!), { auths: { '127.0.0.1:5000': { auth: Buffer.from('alice:pä:ss').toString('base64') } } });
    assert.match(f.text!, /^\{\n\t"auths"/);
    assert.deepEqual(await loadCredentials(f, '127.0.0.1:5000'), { username: 'alice', password: 'pä:ss' });
    assert.equal(await loadCredentials(f, 'other:5000'), undefined);
    assert.equal(await removeCredentials(f, '127.0.0.1:5000'), true);
    assert.equal(await removeCredentials(f, '127.0.0.1:5000'), false);
    assert.deepEqual(JSON.parse(f.text!), { auths: {} });
  });

  it('keeps credsStore, credHelpers and unknown fields untouched', async () => {
    const original = {
      auths: { 'quay.io': { auth: encodeBase64('q:w'), email: 'q@example.com' } },
      credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' }, psFormat: '{{.ID}}', proxies: { default: { httpProxy: 'x' } },
    };
    const f = memoryFile(JSON.stringify(original));
    await storeCredentials(f, 'quay.io', 'new', 'pw');
    const after = JSON.parse(f.text!);
    assert.equal(after.credsStore, 'desktop');
    assert.deepEqual(after.credHelpers, { 'gcr.io': 'gcloud' });
    assert.equal(after.psFormat, '{{.ID}}');
    assert.deepEqual(after.proxies, original.proxies);
    assert.deepEqual(after.auths['quay.io'], { auth: encodeBase64('new:pw'), email: 'q@example.com' });
  });

  it('files Docker Hub under https://index.docker.io/v1/ whichever name is used', async () => {
    for (const h of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/']) assert.equal(credentialKey(h), DOCKER_HUB_KEY);
    assert.equal(credentialKey('https://myreg:5000/v2/'), 'myreg:5000');
    const f = memoryFile();
    await storeCredentials(f, 'docker.io', 'bob', 'pw');
    assert.deepEqual(Object.keys(JSON.parse(f.text!).auths), [DOCKER_HUB_KEY]);
    // The registry client asks by the endpoint host.
    assert.deepEqual(await credentialsFromFile(f)('registry-1.docker.io'), { username: 'bob', password: 'pw' });
  });

  it('finds entries written with a scheme or a path, as Docker does', async () => {
    const f = memoryFile(JSON.stringify({ auths: { 'https://myreg:5000': { auth: encodeBase64('u:p') } } }));
    assert.deepEqual(await loadCredentials(f, 'myreg:5000'), { username: 'u', password: 'p' });
    await storeCredentials(f, 'myreg:5000', 'u2', 'p2');
    assert.deepEqual(Object.keys(JSON.parse(f.text!).auths), ['https://myreg:5000']);
  });

  it('keeps an identity token instead of the password', async () => {
    const f = memoryFile();
    await storeCredentials(f, 'reg.example', 'carol', 'secret', { identitytoken: 'refresh-123' });
    const entry = JSON.parse(f.text!).auths['reg.example'];
    assert.deepEqual(entry, { auth: encodeBase64('carol:'), identitytoken: 'refresh-123' });
    assert.deepEqual(await loadCredentials(f, 'reg.example'), { username: 'carol', identitytoken: 'refresh-123' });
    assert.deepEqual(await listCredentials(f), { 'reg.example': { username: 'carol', identitytoken: 'refresh-123' } });
  });

  it('refuses a broken config file with a clear error, and leaves it alone', async () => {
    const f = memoryFile('{"auths": ');
    await assert.rejects(loadCredentials(f, 'x'), /loading config file failed: it is not valid JSON .*fix or remove it/);
    await assert.rejects(storeCredentials(f, 'x', 'u', 'p'), /not valid JSON/);
    assert.equal(f.text, '{"auths": ');
    const g = memoryFile(JSON.stringify({ auths: { x: { auth: '!!!' } } }));
    await assert.rejects(loadCredentials(g, 'x'), /"auth" entry that is not base64/);
  });
});

describe('X-Registry-Auth', () => {
  it('decodes what the docker CLI sends', () => {
    assert.equal(decodeRegistryAuth('e30='), undefined);
    assert.equal(decodeRegistryAuth(''), undefined);
    assert.equal(decodeRegistryAuth(null), undefined);
    const header = Buffer.from(JSON.stringify({ username: 'a', password: 'b?>~', serveraddress: '127.0.0.1:5000' })).toString('base64url');
    assert.deepEqual(decodeRegistryAuth(header), { username: 'a', password: 'b?>~', serveraddress: '127.0.0.1:5000' });
    // Standard alphabet and padding are accepted too.
    assert.deepEqual(decodeRegistryAuth(Buffer.from('{"identitytoken":"t"}').toString('base64')), { identitytoken: 't' });
  });

  it('encodes e30= for none and round-trips', () => {
    assert.equal(encodeRegistryAuth(), 'e30=');
    const a = { username: 'u', password: 'p>?', serveraddress: 'r' };
    const enc = encodeRegistryAuth(a);
    assert.doesNotMatch(enc, /[+/]/);
    assert.deepEqual(decodeRegistryAuth(enc), a);
  });

  it('refuses garbage with a message naming the header', () => {
    assert.throws(() => decodeRegistryAuth('%%%'), /invalid X-Registry-Auth header: not base64url-encoded JSON/);
    assert.throws(() => decodeRegistryAuth(encodeBase64('[1]')), /invalid X-Registry-Auth header: not a JSON object/);
  });

  it('turns an AuthConfig into client credentials, reading the auth field when needed', () => {
    assert.deepEqual(authCredentials({ auth: encodeBase64('x:y'), serveraddress: 's' }), { username: 'x', password: 'y' });
    assert.deepEqual(authCredentials({ username: 'x', identitytoken: 't' }), { username: 'x', identitytoken: 't' });
    assert.equal(authCredentials(undefined), undefined);
  });

  it('decodes X-Registry-Config', () => {
    const h = encodeBase64(JSON.stringify({ 'r:5000': { username: 'a', password: 'b' }, bad: 3 }), true);
    assert.deepEqual(decodeRegistryConfig(h), { 'r:5000': { username: 'a', password: 'b' } });
    assert.equal(decodeBase64Text(encodeBase64('ünïcode')), 'ünïcode');
  });
});
