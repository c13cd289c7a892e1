// The real Docker daemon against `berth registry serve`: dockerd pushes, removes, pulls back and
// runs; a second repository push mounts blobs across repositories; a multi-arch index pushed with
// skopeo is pulled per platform. The CNCF registry runs the first scenario as a control, so a
// failure that only berth's registry shows points at berth and not at the harness.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packTar } from 'modern-tar';
import { busyboxRootfsTar, dockerdMissing, importBusybox, startDockerd, type TestDockerd } from '../helpers/dockerd.ts';
import { spawn } from 'node:child_process';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { runCommand } from '../helpers/docker-cli.ts';
import { freePort, waitFor } from '../helpers/ports.ts';
import { REPO_ROOT, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { CLI_SOURCE, TEST_BUNDLE as BUNDLE, berthCliCommand } from '../helpers/berth-cli.ts';
import { sha256 } from '../helpers/test-image.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

const skip = dockerdMissing() ?? (existsSync('/usr/bin/skopeo') ? null : 'skopeo is not installed');

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** The digest `docker push` reports: `TAG: digest: sha256:... size: N`. */
function pushedDigest(out: string): string {
  const m = /: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(out);
  assert.ok(m, `no digest line in docker push output:\n${out}`);
  return m[1]!;
}

/** The digest `docker pull` reports: `Digest: sha256:...`. */
function pulledDigest(out: string): string {
  const m = /^Digest: (sha256:[0-9a-f]{64})$/m.exec(out);
  assert.ok(m, `no Digest line in docker pull output:\n${out}`);
  return m[1]!;
}

interface Inspect { Id: string; Architecture: string; Os: string; RepoTags: string[]; RepoDigests: string[]; RootFS: { Layers: string[] } }

async function inspect(d: TestDockerd, ref: string): Promise<Inspect> {
  return (JSON.parse(await d.dockerOk(['image', 'inspect', ref])) as Inspect[])[0]!;
}

/** What the registry itself says the tag points at (HEAD, as a client resolving a tag would). */
async function registryDigest(reg: TestRegistry, repo: string, ref: string): Promise<string | null> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers: { accept: MANIFEST_TYPES } });
  assert.equal(res.status, 200, `HEAD ${repo}:${ref} on the registry`);
  return res.headers.get('docker-content-digest');
}

/** Push, delete locally, pull back, run: the round trip every registry must survive with dockerd. */
async function roundTrip(d: TestDockerd, reg: TestRegistry, source: string, repo: string): Promise<{ digest: string; id: string }> {
  const ref = `${reg.host}/${repo}:v1`;
  const original = await inspect(d, source);
  await d.dockerOk(['tag', source, ref]);
  const digest = pushedDigest(await d.dockerOk(['push', ref]));
  assert.equal(await registryDigest(reg, repo, 'v1'), digest);

  // Remove every name of the image so the pull really downloads its layers.
  await d.dockerOk(['rmi', '-f', original.Id]);
  assert.notEqual((await d.docker(['image', 'inspect', original.Id])).code, 0, 'the image is gone before the pull');

  const pull = await d.dockerOk(['pull', ref]);
  assert.equal(pulledDigest(pull), digest);
  assert.match(pull, /Status: Downloaded newer image for /);
  const pulled = await inspect(d, ref);
  assert.equal(pulled.Id, original.Id, 'same config digest after the round trip');
  assert.deepEqual(pulled.RootFS.Layers, original.RootFS.Layers, 'same diffIDs after the round trip');
  assert.ok(pulled.RepoDigests.includes(`${reg.host}/${repo}@${digest}`), `RepoDigests: ${pulled.RepoDigests.join(', ')}`);

  assert.equal(await d.dockerOk(['run', '--rm', '--network', 'none', ref, 'echo', 'ok']), 'ok\n');
  // Leave the image under its source name only, as it was, for the next scenario.
  await d.dockerOk(['tag', ref, source]);
  await d.dockerOk(['rmi', ref]);
  return { digest, id: original.Id };
}

interface OciImage { manifest: Uint8Array; digest: string; configDigest: string; platform: { os: string; architecture: string } }

/** Writes one image's blobs into an OCI layout and returns its manifest. */
async function addImage(layout: string, layerTar: Uint8Array, platform: { os: string; architecture: string }): Promise<OciImage> {
  const put = async (data: Uint8Array) => {
    const digest = sha256(data);
    await writeFile(join(layout, 'blobs', 'sha256', digest.slice(7)), data);
    return { digest, size: data.byteLength };
  };
  const layer = new Uint8Array(gzipSync(layerTar));
  const config = new TextEncoder().encode(JSON.stringify({
    ...platform, created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
    history: [{ created: '2024-01-01T00:00:00Z', created_by: 'interop-registry.test.ts' }],
  }));
  const c = await put(config);
  const l = await put(layer);
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l }],
  }));
  const m = await put(manifest);
  return { manifest, digest: m.digest, configDigest: c.digest, platform };
}

/** An OCI layout holding `tag` -> an index over a runnable linux/amd64 busybox and a linux/arm64 image. */
async function multiArchLayout(dir: string, tag: string): Promise<{ index: string; amd64: OciImage; arm64: OciImage }> {
  const layout = join(dir, 'layout');
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  const rootfs = await busyboxRootfsTar();
  const amd64 = await addImage(layout, new Uint8Array(await readFile(rootfs.path)), { os: 'linux', architecture: 'amd64' });
  await removeDir(rootfs.dir);
  const armTar = await packTar([{ header: { name: 'arch.txt', size: 6, mode: 0o644, mtime: new Date('2024-01-01T00:00:00Z') }, body: 'arm64\n' }]);
  const arm64 = await addImage(layout, armTar, { os: 'linux', architecture: 'arm64' });
  const index = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [amd64, arm64].map((i) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: i.digest, size: i.manifest.byteLength, platform: i.platform })),
  }));
  const indexDigest = sha256(index);
  await writeFile(join(layout, 'blobs', 'sha256', indexDigest.slice(7)), index);
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: indexDigest, size: index.byteLength, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return { index: indexDigest, amd64, arm64 };
}


/** `berth registry serve --addr 127.0.0.1:PORT --root ROOT`, the command a person runs. */
async function serveWithCli(root: string): Promise<TestRegistry> {
  const [cmd, ...pre] = berthCliCommand()!;
  const port = await freePort();
  const child = spawn(cmd!, [...pre, 'registry', 'serve', '--addr', `127.0.0.1:${port}`, '--root', root], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => { output += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { output += b.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
  };
  try {
    await Promise.race([
      waitFor(`berth registry serve on ${url}`, async () => (await fetch(`${url}/v2/`)).status === 200),
      exited.then(() => { throw new Error('berth registry serve exited at start-up'); }),
    ]);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${output}`);
  }
  assert.match(output, new RegExp(`listening on ${url}`));
  return { host: `127.0.0.1:${port}`, url, root, logs: () => output, stop };
}

async function skopeo(args: string[]): Promise<string> {
  const r = await runCommand('skopeo', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`skopeo ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe('interop: real dockerd with registries', { skip: skip ?? false }, () => {
  let d: TestDockerd;
  let berth: TestRegistry;
  let cncf: TestRegistry;
  let tmp: string;
  const SOURCE = 'interop/busybox:source';

  before(async () => {
    tmp = await tempDir('interop-reg-');
    [d, berth, cncf] = await Promise.all([startDockerd(), startRegistry({ impl: 'berth' }), startRegistry({ impl: 'cncf' })]);
    await importBusybox(d, SOURCE);
  });
  after(async () => {
    await Promise.all([d?.cleanup(), berth?.stop(), cncf?.stop()]);
    await removeDir(tmp);
  });

  it('control: dockerd pushes to and pulls from the CNCF registry', async () => {
    await roundTrip(d, cncf, SOURCE, 'control/busybox');
  });

  describe('berth registry serve', () => {
    let first: { digest: string; id: string };

    it('dockerd pushes, removes, pulls back and runs the image', async (t) => {
      try {
        first = await roundTrip(d, berth, SOURCE, 'interop/busybox');
      } catch (e) {
        t.diagnostic(`berth registry log:\n${berth.logs().slice(-3000)}`);
        throw e;
      }
    });

    it('dockerd pulls by digest', async () => {
      assert.ok(first, 'needs the push of the previous test');
      const byDigest = `${berth.host}/interop/busybox@${first.digest}`;
      await d.dockerOk(['rmi', SOURCE]);
      const pull = await d.dockerOk(['pull', byDigest]);
      assert.equal(pulledDigest(pull), first.digest);
      assert.equal((await inspect(d, byDigest)).Id, first.id);
      await d.dockerOk(['tag', byDigest, SOURCE]);
    });

    it('a push to a second repository mounts the blobs from the first', async () => {
      assert.ok(first, 'needs the push of the first test');
      const ref = `${berth.host}/other/busybox:v1`;
      await d.dockerOk(['tag', SOURCE, ref]);
      const out = await d.dockerOk(['push', ref]);
      assert.match(out, /Mounted from interop\/busybox/, `dockerd did not mount the layer across repositories:\n${out}`);
      assert.equal(pushedDigest(out), first.digest);
      assert.equal(await registryDigest(berth, 'other/busybox', 'v1'), first.digest);
    });

    it('a multi-arch index pushed with skopeo is pulled per platform by dockerd', async () => {
      const { index, amd64, arm64 } = await multiArchLayout(tmp, 'multi');
      const ref = `${berth.host}/interop/multi:v1`;
      await skopeo(['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${join(tmp, 'layout')}:multi`, `docker://${ref}`]);
      assert.equal(await registryDigest(berth, 'interop/multi', 'v1'), index);

      const pull = await d.dockerOk(['pull', ref]);
      assert.equal(pulledDigest(pull), index);
      const img = await inspect(d, ref);
      assert.equal(img.Id, amd64.configDigest, 'dockerd picked the linux/amd64 entry');
      assert.equal(img.Architecture, 'amd64');
      assert.ok(img.RepoDigests.includes(`${berth.host}/interop/multi@${index}`), `RepoDigests: ${img.RepoDigests.join(', ')}`);
      assert.equal(await d.dockerOk(['run', '--rm', '--network', 'none', ref, 'uname', '-m']), 'x86_64\n');

      await d.dockerOk(['pull', '--platform', 'linux/arm64', ref]);
      const arm = await inspect(d, ref);
      assert.equal(arm.Id, arm64.configDigest, 'dockerd picked the linux/arm64 entry');
      assert.equal(arm.Architecture, 'arm64');
    });

    it('skopeo reads back what dockerd pushed, byte for byte', async () => {
      assert.ok(first, 'needs the push of the first test');
      const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${berth.host}/interop/busybox:v1`]);
      assert.equal(sha256(new TextEncoder().encode(raw)), first.digest);
    });
  });

  describe('berthd and dockerd through registries', () => {
    let berthd: TestDaemon;
    before(async () => { berthd = await startBerthd({ bundle: BUNDLE }); });
    after(async () => { await berthd?.cleanup(); });

    async function berthDocker(args: string[]): Promise<string> {
      const r = await berthd.docker(args);
      if (r.code !== 0) throw new Error(`docker (against berthd) ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}\n--- berthd log (tail) ---\n${berthd.logs().slice(-3000)}`);
      return r.stdout;
    }

    it('berthd pulls what dockerd pushed, pushes it on, and dockerd pulls and runs berth\'s push', async () => {
      const original = await inspect(d, SOURCE);
      const fromDocker = `${cncf.host}/from-docker/busybox:v1`;
      await d.dockerOk(['tag', SOURCE, fromDocker]);
      const digest = pushedDigest(await d.dockerOk(['push', fromDocker]));
      await d.dockerOk(['rmi', fromDocker]);

      assert.equal(pulledDigest(await berthDocker(['pull', fromDocker])), digest);
      const inBerth = (JSON.parse(await berthDocker(['image', 'inspect', fromDocker])) as Inspect[])[0]!;
      assert.equal(inBerth.Id, original.Id);
      assert.deepEqual(inBerth.RootFS.Layers, original.RootFS.Layers);

      // berth pushes to berth's registry; the real daemon must accept what berth wrote.
      const fromBerth = `${berth.host}/from-berth/busybox:v1`;
      await berthDocker(['tag', fromDocker, fromBerth]);
      const berthDigest = pushedDigest(await berthDocker(['push', fromBerth]));
      assert.equal(berthDigest, digest, 'berth pushes the manifest it pulled, byte for byte');

      await d.dockerOk(['rmi', '-f', original.Id]);
      assert.equal(pulledDigest(await d.dockerOk(['pull', fromBerth])), digest);
      const back = await inspect(d, fromBerth);
      assert.equal(back.Id, original.Id);
      assert.equal(await d.dockerOk(['run', '--rm', '--network', 'none', fromBerth, 'echo', 'ok']), 'ok\n');
      await d.dockerOk(['tag', fromBerth, SOURCE]);
      await d.dockerOk(['rmi', fromBerth]);
    });
  });

  describe('the berth registry serve command', { skip: berthCliCommand() ? false : `berth's CLI is not there (${CLI_SOURCE})` }, () => {
    let served: TestRegistry | undefined;
    after(async () => { await served?.stop(); });

    it('serves dockerd, and still serves what it stored after a restart on the same root', async (t) => {
      const root = join(tmp, 'cli-registry');
      served = await serveWithCli(root);
      let digest: string;
      try {
        ({ digest } = await roundTrip(d, served, SOURCE, 'cli/busybox'));
      } catch (e) {
        t.diagnostic(`berth registry serve log:\n${served.logs().slice(-3000)}`);
        throw e;
      }
      await served.stop();

      served = await serveWithCli(root);
      const ref = `${served.host}/cli/busybox:v1`;
      await d.dockerOk(['rmi', SOURCE]);
      assert.equal(pulledDigest(await d.dockerOk(['pull', ref])), digest);
      assert.equal(await d.dockerOk(['run', '--rm', '--network', 'none', ref, 'echo', 'ok']), 'ok\n');
      await d.dockerOk(['tag', ref, SOURCE]);
      await d.dockerOk(['rmi', ref]);
    });
  });
});
