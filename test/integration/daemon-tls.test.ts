// berthd on TCP: only with mutual TLS, as dockerd's --tlsverify; the real docker CLI drives it, hijacked
// connections included, and a client without a certificate from the CA is turned away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBerthd, berthdCommand, type TestDaemon } from '../helpers/berthd.ts';
import { docker } from '../helpers/docker-cli.ts';
import { freePort, waitFor } from '../helpers/ports.ts';
import { tempDir, removeDir } from '../helpers/tmp.ts';
import { REPO_ROOT } from '../helpers/registry.ts';

let dir: string;
let port: number;
let daemon: TestDaemon;

function openssl(args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1, a client certificate from the CA, and one from a stranger CA. */
function makeCertificates() {
  const subj = (cn: string) => ['-subj', `/CN=${cn}`];
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', ...subj('berth test CA')]);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, ext, ca] of [['server', 'server.ext', 'ca'], ['client', 'client.ext', 'ca'], ['stranger', 'client.ext', 'other']] as const) {
    if (ca === 'other') openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-key.pem', '-out', 'other.pem', '-days', '2', ...subj('other CA')]);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, ...subj(name)]);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', ext]);
  }
}

before(async () => {
  dir = await tempDir('berth-tls-');
  makeCertificates();
  port = await freePort();
  daemon = await startBerthd({
    builtinImages: join(REPO_ROOT, 'build/images'),
    args: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(dir, 'ca.pem'),
      '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server-key.pem')],
  });
});

after(async () => {
  await daemon?.cleanup();
  if (dir) await removeDir(dir);
});

const tlsHost = () => `tcp://127.0.0.1:${port}`;
const clientFlags = (cert = 'client') => ['--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, `${cert}.pem`), '--tlskey', join(dir, `${cert}-key.pem`)];

test('the docker CLI with a client certificate from the CA talks to berthd over TLS', async () => {
  const r = await docker(tlsHost(), [...clientFlags(), 'version', '--format', '{{.Server.Version}}']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
});

test('hijacked connections work over TLS: stdin in, output out, exit status back', async (t) => {
  if (!existsSync(join(REPO_ROOT, 'build/images/index.json'))) return t.skip('build/images is missing (run the set-up first)');
  // berthd imports the built-in images in the background after its socket is up.
  await waitFor('the built-in busybox', async () => (await docker(tlsHost(), [...clientFlags(), 'images', '-q', 'busybox'])).stdout.trim() !== '', 30_000);
  const r = await docker(tlsHost(), [...clientFlags(), 'run', '--rm', '-i', '--network', 'none', 'busybox', 'sh', '-c', 'cat; echo done; exit 4'], { input: 'over tls\n' });
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.stdout, 'over tls\ndone\n');
});

test('a client without a certificate, or with one from another CA, is refused', async () => {
  const noCert = await docker(tlsHost(), ['--tls', '--tlscacert', join(dir, 'ca.pem'), 'version', '--format', '{{.Server.Version}}']);
  assert.notEqual(noCert.code, 0);
  assert.doesNotMatch(noCert.stdout, /\d+\.\d+\.\d+/);
  const stranger = await docker(tlsHost(), [...clientFlags('stranger'), 'version', '--format', '{{.Server.Version}}']);
  assert.notEqual(stranger.code, 0);
  assert.doesNotMatch(stranger.stdout, /\d+\.\d+\.\d+/);
  const plain = await docker(tlsHost(), ['version', '--format', '{{.Server.Version}}']);
  assert.notEqual(plain.code, 0);
});

test('berthd refuses to listen on TCP without --tlsverify', async () => {
  const p = await freePort();
  const scratch = await tempDir('berth-tls-refuse-');
  try {
    writeFileSync(join(scratch, 'none.json'), '{}\n');
    const [cmd, ...pre] = berthdCommand();
    const r = spawnSync(cmd!, [...pre, '-H', `tcp://127.0.0.1:${p}`, '--data-root', join(scratch, 'data'), '--exec-root', join(scratch, 'exec'),
      '--pidfile', join(scratch, 'pid'), '--config-file', join(scratch, 'none.json')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /refusing to listen on tcp:\/\/127\.0\.0\.1:\d+ without TLS.*--tlsverify/);
  } finally {
    await removeDir(scratch);
  }
});
