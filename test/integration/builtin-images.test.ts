// The built-in images as real tools see them: skopeo and umoci read the layout, the unpacked busybox runs a
// shell, hello-world and hello-wasm print their messages, and two builds give the same digests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { unpackTar } from 'modern-tar';
import type { Descriptor, ImageConfig, Index, Manifest } from '../../core/image/types.ts';
import { makeBuiltinImages } from '../../host-linux/builtin/make-images.ts';
import { BUILTIN_REFS } from '../../host-linux/builtin/refs.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
// Downloaded .debs are kept in the repository's cache so that repeated runs do not fetch them again.
const CACHE = join(REPO, 'build', 'cache');

let tmp: string;
let layout: string;

async function json<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
function blob(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}
async function refIndex(dir: string, ref: string): Promise<Index> {
  const top = await json<Index>(join(dir, 'index.json'));
  const d = top.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  assert.ok(d, `index.json has no entry named ${ref}`);
  return json<Index>(blob(dir, d.digest));
}
async function platformManifest(dir: string, ref: string, os: string, architecture: string): Promise<Manifest> {
  const index = await refIndex(dir, ref);
  const d = index.manifests.find((m) => m.platform?.os === os && m.platform.architecture === architecture);
  assert.ok(d, `${ref} has no ${os}/${architecture} manifest`);
  return json<Manifest>(blob(dir, d.digest));
}
/** The single layer's file at `path`, read straight from the blob. */
async function layerFile(dir: string, manifest: Manifest, path: string): Promise<Uint8Array> {
  const tar = gunzipSync(await readFile(blob(dir, manifest.layers[0]!.digest)));
  const entry = (await unpackTar(tar)).find((e) => e.header.name === path);
  assert.ok(entry?.data, `layer has no file ${path}`);
  return entry.data;
}
async function blobDigests(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'blobs', 'sha256'))).sort();
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'berth-builtin-test-'));
  layout = join(tmp, 'images');
  await makeBuiltinImages({ out: layout, cache: CACHE });
});
after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('built-in images layout', () => {
  test('index.json names every image with both annotations and points to multi-platform indexes', async () => {
    assert.deepEqual(await json(join(layout, 'oci-layout')), { imageLayoutVersion: '1.0.0' });
    const top = await json<Index>(join(layout, 'index.json'));
    const names = top.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).sort();
    assert.deepEqual(names, [BUILTIN_REFS.busybox, BUILTIN_REFS.helloWasm, BUILTIN_REFS.helloWorld]);
    for (const d of top.manifests) {
      assert.equal(d.mediaType, 'application/vnd.oci.image.index.v1+json');
      assert.equal(d.annotations?.['io.containerd.image.name'], d.annotations?.['org.opencontainers.image.ref.name']);
      const raw = await readFile(blob(layout, d.digest));
      assert.equal(raw.byteLength, d.size);
      assert.equal(`sha256:${createHash('sha256').update(raw).digest('hex')}`, d.digest);
    }
    const platforms = async (ref: string) =>
      (await refIndex(layout, ref)).manifests.map((m: Descriptor) => `${m.platform?.os}/${m.platform?.architecture}`).sort();
    assert.deepEqual(await platforms(BUILTIN_REFS.busybox), ['linux/386', 'linux/amd64']);
    assert.deepEqual(await platforms(BUILTIN_REFS.helloWorld), ['linux/386', 'linux/amd64']);
    assert.deepEqual(await platforms(BUILTIN_REFS.helloWasm), ['wasi/wasm']);
  });

  test('configs carry the runtime settings, history and the diffIDs of their gzip layers', async () => {
    const cases = [
      { ref: BUILTIN_REFS.busybox, os: 'linux', arch: 'amd64', check: (c: ImageConfig) => {
        assert.deepEqual(c.config?.Cmd, ['sh']);
        assert.deepEqual(c.config?.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
      } },
      { ref: BUILTIN_REFS.busybox, os: 'linux', arch: '386', check: (c: ImageConfig) => assert.deepEqual(c.config?.Cmd, ['sh']) },
      { ref: BUILTIN_REFS.helloWorld, os: 'linux', arch: 'amd64', check: (c: ImageConfig) => assert.deepEqual(c.config?.Cmd, ['/hello']) },
      { ref: BUILTIN_REFS.helloWasm, os: 'wasi', arch: 'wasm', check: (c: ImageConfig) => assert.deepEqual(c.config?.Entrypoint, ['/hello.wasm']) },
    ];
    for (const { ref, os, arch, check } of cases) {
      const m = await platformManifest(layout, ref, os, arch);
      assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(m.config.mediaType, 'application/vnd.oci.image.config.v1+json');
      const config = await json<ImageConfig>(blob(layout, m.config.digest));
      assert.equal(config.os, os);
      assert.equal(config.architecture, arch);
      check(config);
      assert.equal(m.layers.length, 1);
      assert.equal(m.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
      const tar = gunzipSync(await readFile(blob(layout, m.layers[0]!.digest)));
      assert.deepEqual(config.rootfs.diff_ids, [`sha256:${createHash('sha256').update(tar).digest('hex')}`]);
      assert.equal(config.history?.filter((h) => !h.empty_layer).length, 1);
      assert.ok(config.created && !Number.isNaN(Date.parse(config.created)));
    }
  });

  test('skopeo reads every image by its ref name, for every platform', async () => {
    for (const [ref, os, arch] of [
      [BUILTIN_REFS.busybox, 'linux', 'amd64'], [BUILTIN_REFS.busybox, 'linux', '386'],
      [BUILTIN_REFS.helloWorld, 'linux', 'amd64'], [BUILTIN_REFS.helloWorld, 'linux', '386'],
      [BUILTIN_REFS.helloWasm, 'wasi', 'wasm'],
    ] as const) {
      const { stdout } = await run('skopeo', ['--override-os', os, '--override-arch', arch, 'inspect', `oci:${layout}:${ref}`]);
      const info = JSON.parse(stdout) as { Os: string; Architecture: string };
      assert.equal(`${info.Os}/${info.Architecture}`, `${os}/${arch}`, ref);
    }
    const dir = join(tmp, 'hello-dir');
    await run('skopeo', ['copy', `oci:${layout}:${BUILTIN_REFS.helloWorld}`, `dir:${dir}`]);
    assert.ok((await stat(join(dir, 'manifest.json'))).isFile());
  });
});

describe('busybox', () => {
  const unpacked = new Map<string, Promise<string>>();
  const unpack = (arch: string): Promise<string> => {
    if (!unpacked.has(arch)) unpacked.set(arch, unpackOnce(arch));
    return unpacked.get(arch)!;
  };
  async function unpackOnce(arch: string): Promise<string> {
    const image = join(tmp, `busybox-${arch}`);
    const bundle = join(tmp, `bundle-${arch}`);
    await run('skopeo', ['--override-arch', arch, 'copy', `oci:${layout}:${BUILTIN_REFS.busybox}`, `oci:${image}:busybox`]);
    await run('umoci', ['unpack', '--image', `${image}:busybox`, bundle]);
    return join(bundle, 'rootfs');
  }

  test('umoci unpacks amd64 busybox into a rootfs where a shell runs', async () => {
    const rootfs = await unpack('amd64');
    const { stdout } = await run('chroot', [rootfs, '/bin/sh', '-c', 'echo hi; id; ls /usr/bin/wc']);
    assert.equal(stdout, 'hi\nuid=0(root) gid=0(root)\n/usr/bin/wc\n');
    // Applets are hard links to the one binary, as in the official image.
    const bb = await stat(join(rootfs, 'bin/busybox'));
    for (const applet of ['bin/sh', 'bin/ls', 'usr/bin/[', 'sbin/ifconfig', 'usr/sbin/chroot']) {
      assert.equal((await stat(join(rootfs, applet))).ino, bb.ino, applet);
    }
    assert.ok(bb.nlink > 200, `busybox has ${bb.nlink} links`);
    assert.equal((await stat(join(rootfs, 'tmp'))).mode & 0o7777, 0o1777);
    assert.equal((await stat(join(rootfs, 'root'))).mode & 0o7777, 0o700);
    for (const d of ['home', 'var/spool/mail', 'var/www', 'usr/sbin', 'dev']) assert.ok((await stat(join(rootfs, d))).isDirectory(), d);
    const passwd = await readFile(join(rootfs, 'etc/passwd'), 'utf8');
    assert.deepEqual(passwd.trim().split('\n').map((l) => l.split(':')[0]),
      ['root', 'daemon', 'bin', 'sys', 'sync', 'mail', 'www-data', 'operator', 'nobody']);
    assert.match(await readFile(join(rootfs, 'etc/group'), 'utf8'), /^nogroup:x:65534:$/m);
  });

  test('runc runs the unpacked busybox as a real container with the image\'s Cmd', async () => {
    const bundle = dirname(await unpack('amd64'));
    const spec = await json<{ process: { terminal: boolean; args: string[] } }>(join(bundle, 'config.json'));
    assert.deepEqual(spec.process.args, ['sh']);
    spec.process.terminal = false;
    spec.process.args = ['/bin/sh', '-c', 'echo hi from $(hostname); id -u; ls -d /proc/1'];
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const id = `berth-builtin-test-${process.pid}`;
    const { stdout } = await run('runc', ['--root', join(tmp, 'runc'), 'run', '-b', bundle, id], { timeout: 20_000 });
    assert.equal(stdout, `hi from umoci-default\n0\n/proc/1\n`);
  });

  test('the 386 busybox is a 32-bit binary with the same applets', async () => {
    const rootfs = await unpack('386');
    const head = await readFile(join(rootfs, 'bin/busybox'));
    assert.equal(head[4], 1, 'ELFCLASS32');
    assert.equal(head.readUInt16LE(18), 3, 'EM_386');
    assert.equal((await stat(join(rootfs, 'bin/sh'))).ino, (await stat(join(rootfs, 'bin/busybox'))).ino);
    // Where the kernel runs 32-bit programs (x86_64 usually does), the shell works too.
    const r = spawnSync('chroot', [rootfs, '/bin/sh', '-c', 'echo hi'], { encoding: 'utf8' });
    if (r.status === 0) assert.equal(r.stdout, 'hi\n');
  });
});

describe('hello-world', () => {
  for (const arch of ['amd64', '386']) {
    test(`the ${arch} /hello prints berth's message and exits 0`, async () => {
      const m = await platformManifest(layout, BUILTIN_REFS.helloWorld, 'linux', arch);
      const hello = await layerFile(layout, m, 'hello');
      assert.ok(hello.byteLength < 16 * 1024, `hello is ${hello.byteLength} bytes`);
      const path = join(tmp, `hello-${arch}`);
      await writeFile(path, hello);
      await chmod(path, 0o755);
      const r = spawnSync(path, { encoding: 'utf8' });
      if (arch === '386' && r.error) return; // a kernel without 32-bit support
      assert.equal(r.status, 0);
      assert.match(r.stdout, /^\nHello from berth!\n/);
      assert.match(r.stdout, /The berth client contacted the berth daemon/);
      assert.match(r.stdout, new RegExp(`\\(${arch === '386' ? 'i386' : 'amd64'}\\)`));
    });
  }
});

describe('hello-wasm', () => {
  async function runWasm(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const m = await platformManifest(layout, BUILTIN_REFS.helloWasm, 'wasi', 'wasm');
    const wasm = join(tmp, 'hello.wasm');
    await writeFile(wasm, await layerFile(layout, m, 'hello.wasm'));
    const script = `
      const { WASI } = require('node:wasi');
      const { readFileSync } = require('node:fs');
      const wasi = new WASI({ version: 'preview1', args: JSON.parse(process.argv[1]), env: {}, returnOnExit: true });
      WebAssembly.instantiate(readFileSync(${JSON.stringify(wasm)}), wasi.getImportObject())
        .then(({ instance }) => { process.exitCode = wasi.start(instance); });`;
    const r = spawnSync(process.execPath, ['--no-warnings', '-e', script, JSON.stringify(['/hello.wasm', ...args])], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('runs under node:wasi and prints its message', async () => {
    const r = await runWasm([]);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^\nHello from WebAssembly!\n/);
    assert.ok(r.stdout.endsWith('berth run hello-wasm one two three\n\n'), JSON.stringify(r.stdout.slice(-60)));
  });

  test('echoes its arguments', async () => {
    const r = await runWasm(['one', 'two words', 'three']);
    assert.equal(r.status, 0);
    assert.ok(r.stdout.endsWith('\n\none two words three\n'), JSON.stringify(r.stdout.slice(-60)));
  });

  test('echoes arguments longer than its first memory page', async () => {
    const long = 'x'.repeat(100_000);
    const r = await runWasm([long, 'end']);
    assert.equal(r.status, 0);
    assert.ok(r.stdout.endsWith(`\n${long} end\n`));
  });
});

describe('reproducibility', () => {
  test('a second build from a fresh cache gives identical digests', async () => {
    const cache2 = join(tmp, 'cache2');
    await mkdir(cache2);
    // The same .debs, unpacked again: the digests must not depend on when or where they were unpacked.
    for (const f of (await readdir(CACHE)).filter((f) => f.endsWith('.deb'))) await copyFile(join(CACHE, f), join(cache2, f));
    const second = join(tmp, 'images-2');
    await makeBuiltinImages({ out: second, cache: cache2 });
    assert.equal(await readFile(join(second, 'index.json'), 'utf8'), await readFile(join(layout, 'index.json'), 'utf8'));
    assert.deepEqual(await blobDigests(second), await blobDigests(layout));
  });

  test('SOURCE_DATE_EPOCH pins the dates and so changes only what holds a date', async () => {
    const pinned = join(tmp, 'images-pinned');
    await makeBuiltinImages({ out: pinned, cache: CACHE, sourceDateEpoch: 1_700_000_000 });
    const m = await platformManifest(pinned, BUILTIN_REFS.busybox, 'linux', 'amd64');
    const config = await json<ImageConfig>(blob(pinned, m.config.digest));
    assert.equal(config.created, '2023-11-14T22:13:20Z');
    const original = await platformManifest(layout, BUILTIN_REFS.busybox, 'linux', 'amd64');
    assert.notEqual(m.layers[0]!.digest, original.layers[0]!.digest);
  });

  test('rebuilding into the same directory keeps it consistent and drops blobs nothing references', async () => {
    const stray = join(layout, 'blobs', 'sha256', 'a'.repeat(64));
    await writeFile(stray, 'left over from an older build');
    const before = await readFile(join(layout, 'index.json'), 'utf8');
    await makeBuiltinImages({ out: layout, cache: CACHE });
    assert.equal(await readFile(join(layout, 'index.json'), 'utf8'), before);
    await assert.rejects(stat(stray), { code: 'ENOENT' });
  });
});
