// Issue 2 audit, the berth CLI (bundled as dist/berth.mjs is) beside the real docker CLI on one
// berthd: exit codes and words for templates that do not parse, the server's build in `version`,
// and a `save` that the daemon has to cut short (a blob corrupted on disk) — said clearly by the
// CLI, recorded in the daemon's log, and no partial archive left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { docker, runCommand, type RunResult } from '../helpers/docker-cli.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushTestImage, type BuiltImage } from '../helpers/test-image.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { bundleBerthCli } from '../helpers/berth-cli.ts';

let daemon: TestDaemon;
let registry: TestRegistry;
let dir: string;
let bundle: string;
let configDir: string;
let image: BuiltImage;
let ref: string;

function berth(args: string[]): Promise<RunResult> {
  return runCommand(process.execPath, [bundle, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_HOST: daemon.host, DOCKER_CONFIG: configDir },
  });
}

function dockerCli(args: string[]): Promise<RunResult> {
  return docker(daemon.host, args, { configDir });
}

before(async () => {
  dir = await tempDir('berth-audit-cli-');
  bundle = join(dir, 'berth.mjs');
  configDir = join(dir, 'config');
  await mkdir(configDir);
  const bundling = bundleBerthCli(bundle);
  [daemon, registry] = await Promise.all([startBerthd(), startRegistry()]);
  await bundling;
  // Uncompressed layers: the archive streams the stored blob itself, so the corruption is met while saving.
  image = await buildTestImage({ layers: [{ files: { 'data.bin': 'z'.repeat(400_000) }, compression: 'none' }] });
  await pushTestImage(registry.url, 'audit/cli', 'v1', image);
  ref = `${registry.host}/audit/cli:v1`;
  const pulled = await dockerCli(['pull', '-q', ref]);
  assert.equal(pulled.code, 0, pulled.stderr);
});

after(async () => {
  await Promise.all([daemon?.cleanup(), registry?.stop()]);
  await removeDir(dir);
});

describe('issue 2 audit: berth CLI errors beside the docker CLI', () => {
  for (const args of [
    ['image', 'inspect', '-f', '{{json', 'IMAGE'],
    ['inspect', '--format', '{{.Id', 'IMAGE'],
    ['events', '--format', '{{json', '--until', '1'],
    ['events', '--format', '{{.NoSuchField}}', '--until', '1'],
  ]) {
    test(`${args.join(' ')}: exit 64 and docker's words`, async () => {
      const a = args.map((x) => (x === 'IMAGE' ? ref : x));
      const [b, d] = await Promise.all([berth(a), dockerCli(a)]);
      assert.equal(d.code, 64, `docker: ${d.stderr}`);
      assert.equal(b.code, d.code, b.stderr);
      assert.equal(b.stderr, d.stderr);
      assert.equal(b.stdout, d.stdout);
    });
  }

  test('inspect with a template that parses but fails on a field still exits 1, as docker', async () => {
    const a = ['image', 'inspect', '-f', '{{.NoSuchField}}', ref];
    const [b, d] = await Promise.all([berth(a), dockerCli(a)]);
    assert.equal(d.code, 1);
    assert.equal(b.code, 1);
    assert.equal(b.stderr, d.stderr);
  });

  test('version: the server section has the Git commit and build time, as dockerd fills them', async () => {
    const v = await daemon.request('GET', '/v1.47/version');
    const body = JSON.parse(v.body) as { GitCommit: string; BuildTime: string };
    assert.match(body.GitCommit, /^[0-9a-f]{7}$/);
    assert.ok(!Number.isNaN(Date.parse(body.BuildTime)), body.BuildTime);
    const d = await dockerCli(['version', '--format', '{{.Server.GitCommit}}']);
    assert.equal(d.stdout.trim(), body.GitCommit);
  });

  test('save of an image whose blob rotted on disk: the CLI says unexpected EOF, no file is left, the daemon logs why', async () => {
    const blob = join(daemon.dataRoot, 'content/blobs/sha256', image.layers[0]!.digest.slice(7));
    const fh = await open(blob, 'r+');
    try { await fh.write(Buffer.from('X'), 0, 1, 1000); } finally { await fh.close(); }
    const out = join(dir, 'saved.tar');
    const r = await berth(['save', '-o', out, ref]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, 'failed to save image: unexpected EOF: the daemon ended the archive early (its log has the reason)\n');
    assert.equal(existsSync(out), false);
    // The log line comes when the daemon notices, which may be just after the client gave up.
    const deadline = Date.now() + 5000;
    while (!/Handler for GET \/v1\.\d+\/images\/get returned error: /.test(daemon.logs()) && Date.now() < deadline) await new Promise((x) => setTimeout(x, 50));
    assert.match(daemon.logs(), new RegExp(`level=error msg="Handler for GET /v1\\.\\d+/images/get returned error: blob ${image.layers[0]!.digest} is corrupted`));
    // The image is still listed but its layer is gone: push and save name the image and the way out.
    const gone = `image [^ ]+ is incomplete: blob ${image.layers[0]!.digest} not found in the content store \\(removed as corrupt, or by hand\\): pull or load the image again`;
    // To another registry: the first one has the layer and would not ask for it.
    const other = await startRegistry();
    let pushed: RunResult;
    const otherRef = `${other.host}/audit/cli:v1`;
    try {
      assert.equal((await dockerCli(['tag', ref, otherRef])).code, 0);
      pushed = await dockerCli(['push', otherRef]);
      assert.equal((await dockerCli(['rmi', otherRef])).code, 0);
    } finally {
      await other.stop();
    }
    assert.equal(pushed.code, 1, pushed.stdout);
    assert.match(pushed.stderr, new RegExp(gone), pushed.stderr);
    assert.ok(pushed.stderr.includes(`image ${otherRef} is incomplete`), pushed.stderr);
    const resaved = await berth(['save', '-o', out, ref]);
    assert.equal(resaved.code, 1);
    const logged = Date.now() + 5000;
    while (!new RegExp(gone).test(daemon.logs()) && Date.now() < logged) await new Promise((x) => setTimeout(x, 50));
    assert.match(daemon.logs(), new RegExp(`images/get returned error: ${gone}`));
    assert.ok(daemon.logs().includes(`image ${ref} is incomplete`));
    // The rotten blob was dropped, so pulling again repairs the image and save works.
    const again = await dockerCli(['pull', '-q', ref]);
    assert.equal(again.code, 0, again.stderr);
    const saved = await berth(['save', '-o', out, ref]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal(existsSync(out), true);
  });
});
