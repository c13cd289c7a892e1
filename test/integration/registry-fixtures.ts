// Shared by the registry integration tests: the CNCF registry on a random loopback port, tiny OCI
// images made in memory (tar + gzip + sha256), and an OCI layout on disk for skopeo.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packTar } from 'modern-tar';
import { MediaType } from '../../core/image/media-types.ts';

export function sha256(b: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(url: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try { const r = await fetch(url); await r.body?.cancel(); return; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up: ${String(last)}`);
}

export interface Distribution { host: string; url: string; root: string; stop(): Promise<void> }

/** The CNCF registry (Debian's docker-registry) with a temp filesystem root, optionally with htpasswd Basic auth. */
export async function startDistribution(opts: { htpasswd?: string } = {}): Promise<Distribution> {
  const root = await mkdtemp(join(tmpdir(), 'berth-distribution-'));
  const port = await freePort();
  let auth = '';
  if (opts.htpasswd) {
    await writeFile(join(root, 'htpasswd'), opts.htpasswd);
    auth = `auth:\n  htpasswd:\n    realm: berth-test\n    path: ${join(root, 'htpasswd')}\n`;
  }
  await writeFile(join(root, 'config.yml'), `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(root, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${auth}`);
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', join(root, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr += String(d); });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/v2/`);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`docker-registry did not start: ${String(e)}\n${stderr}`);
  }
  return {
    host: `127.0.0.1:${port}`, url, root,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A bcrypt htpasswd line, made by apache2-utils' htpasswd as a real admin would. */
export async function htpasswdLine(user: string, password: string): Promise<string> {
  const child = spawn('htpasswd', ['-Bbn', user, password], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += String(d); });
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error('htpasswd failed (apt-get install apache2-utils)');
  return out.trim() + '\n';
}

export interface Blob { digest: string; size: number; bytes: Uint8Array; mediaType: string }

export interface TestImage {
  manifest: Uint8Array;
  manifestDigest: string;
  mediaType: string;
  config: Blob;
  layers: (Blob & { diffID: string })[];
}

/** A small OCI image: each entry of `files` becomes one gzip layer holding that file. */
export async function makeImage(files: Record<string, string>[], opts: { docker?: boolean; arch?: string } = {}): Promise<TestImage> {
  const layers: TestImage['layers'] = [];
  for (const f of files) {
    const tar = await packTar(Object.entries(f).map(([name, content]) => {
      const body = new TextEncoder().encode(content);
      return { header: { name, size: body.byteLength, type: 'file' as const, mode: 0o644, mtime: new Date(0) }, body };
    }));
    const gz = new Uint8Array(gzipSync(tar));
    layers.push({
      digest: sha256(gz), size: gz.byteLength, bytes: gz, diffID: sha256(tar),
      mediaType: opts.docker ? MediaType.DockerLayer : MediaType.OCILayerGzip,
    });
  }
  const configBytes = new TextEncoder().encode(JSON.stringify({
    architecture: opts.arch ?? 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
  }));
  const config: Blob = {
    digest: sha256(configBytes), size: configBytes.byteLength, bytes: configBytes,
    mediaType: opts.docker ? MediaType.DockerConfig : MediaType.OCIConfig,
  };
  const mediaType = opts.docker ? MediaType.DockerManifest : MediaType.OCIManifest;
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2, mediaType,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  }));
  return { manifest, manifestDigest: sha256(manifest), mediaType, config, layers };
}

/** An OCI index over images (all must be OCI manifests). */
export function makeIndex(images: { image: TestImage; platform: { os: string; architecture: string } }[]): { bytes: Uint8Array; digest: string } {
  const bytes = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.OCIIndex,
    manifests: images.map(({ image, platform }) => ({ mediaType: image.mediaType, digest: image.manifestDigest, size: image.manifest.byteLength, platform })),
  }));
  return { bytes, digest: sha256(bytes) };
}

/** Writes an OCI image layout (what `skopeo copy oci:DIR:tag` reads). */
export async function writeOciLayout(dir: string, image: TestImage, tag: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (digest: string, bytes: Uint8Array) => writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  for (const l of image.layers) await put(l.digest, l.bytes);
  await put(image.config.digest, image.config.bytes);
  await put(image.manifestDigest, image.manifest);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: image.mediaType, digest: image.manifestDigest, size: image.manifest.byteLength, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

export async function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += String(d); });
  child.stderr.on('data', (d) => { stderr += String(d); });
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
  // A grandchild (the docker CLI's plugin hooks) may hold the pipes open long after: take what has
  // arrived shortly after exit, then let go of them so the test process can end.
  await Promise.race([new Promise((r) => child.once('close', r)), new Promise((r) => setTimeout(r, 300))]);
  child.stdout.destroy();
  child.stderr.destroy();
  return { code, stdout, stderr };
}
