// A ~100 MB, 6-layer image that looks like a real application image to a pull: many small text files, some
// binaries, a few large files, a mix of content that compresses well and content that does not. Everything is
// derived from a seed (AES-CTR keystream for random bytes, a seeded PRNG for shapes and words), so every run and
// every machine gets the same image with the same digests.
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { layerFromTar, type LayerBlob } from '../../host-linux/builtin/layer.ts';
import { OciLayout } from '../../host-linux/builtin/oci-layout.ts';
import { writePlatformImage } from '../../host-linux/builtin/platform-image.ts';
import { rootfsEntries, type RootfsEntries } from '../../host-linux/builtin/rootfs-entries.ts';
import { packTar } from 'modern-tar';

/** Bumped whenever the shape below changes, so that cached images are rebuilt. */
const GENERATOR_VERSION = 2;
export const SYNTHETIC_REF = 'bench';

export interface SyntheticImage {
  /** OCI layout directory holding the image under ref `bench`. */
  layout: string;
  layers: number;
  /** Sum of the uncompressed layer tars. */
  uncompressedBytes: number;
  /** Sum of the compressed layer blobs, what a pull downloads. */
  compressedBytes: number;
  files: number;
  /** The config's digest: the image ID a daemon reports after pulling it. */
  configDigest: string;
}

class Rng {
  private s: number;
  constructor(seed: string) { this.s = createHash('sha256').update(seed).digest().readUInt32LE(0) || 1; }
  /** mulberry32: small, fast, good enough for shapes. */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number { return min + Math.floor(this.next() * (max - min + 1)); }
}

class Content {
  private readonly rng: Rng;
  private readonly cipher;
  private readonly words: Uint8Array[];
  constructor(seed: string) {
    this.rng = new Rng(`${seed}/shape`);
    const key = createHash('sha256').update(`${seed}/bytes`).digest();
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    this.words = Array.from({ length: 800 }, () => {
      let w = '';
      for (let i = this.rng.int(2, 11); i > 0; i--) w += letters[this.rng.int(0, 25)];
      return new TextEncoder().encode(w);
    });
  }
  int(min: number, max: number): number { return this.rng.int(min, max); }
  /** Incompressible bytes. */
  random(size: number): Uint8Array { return new Uint8Array(this.cipher.update(Buffer.alloc(size))); }
  /** Text that gzip shrinks about four times, like logs, sources and docs. */
  text(size: number): Uint8Array {
    const out = new Uint8Array(size);
    let i = 0;
    let col = 0;
    while (i < size) {
      const w = this.words[Math.floor(this.rng.next() * this.words.length)]!;
      for (let j = 0; j < w.length && i < size; j++) out[i++] = w[j]!;
      col += w.length + 1;
      if (i < size) out[i++] = col > 72 ? 10 : 32;
      if (col > 72) col = 0;
    }
    return out;
  }
}

type LayerPlan = { name: string; fill: (fs: RootfsEntries, c: Content) => number };

// About 17 + 24 + 9 + 20 + 12 + 14 MB.
const PLAN: LayerPlan[] = [
  { name: 'base system', fill: (fs, c) => {
    let n = 0;
    for (let i = 0; i < 2500; i++, n++) fs.file(`usr/share/doc/pkg${i % 250}/file${i}.txt`, c.text(c.int(200, 6000)));
    for (let i = 0; i < 300; i++, n++) fs.file(`usr/bin/tool${i}`, c.random(c.int(4096, 65536)), 0o755);
    return n;
  } },
  { name: 'runtime libraries', fill: (fs, c) => {
    fs.file('usr/lib/libruntime.so.1', c.random(12 << 20), 0o755);
    fs.file('usr/lib/libjit.so.1', c.random(12 << 20), 0o755);
    return 2;
  } },
  { name: 'application dependencies', fill: (fs, c) => {
    let n = 0;
    for (let i = 0; i < 4000; i++, n++) {
      const dir = `app/node_modules/dep${i % 400}/${i % 3 ? 'lib' : 'dist'}`;
      fs.file(`${dir}/m${i}.js`, i % 5 ? c.text(c.int(100, 4000)) : c.random(c.int(100, 4000)));
    }
    return n;
  } },
  { name: 'data set', fill: (fs, c) => { fs.file('srv/data/events.log', c.text(20 << 20)); return 1; } },
  { name: 'assets', fill: (fs, c) => {
    for (let i = 0; i < 150; i++) fs.file(`app/public/img/asset${i}.png`, c.random(c.int(32 << 10, 128 << 10)));
    return 150;
  } },
  { name: 'application', fill: (fs, c) => {
    fs.file('app/bin/server', c.random(14 << 20), 0o755);
    for (let i = 0; i < 50; i++) fs.file(`app/config/conf${i}.yaml`, c.text(c.int(100, 3000)));
    return 51;
  } },
];

/** Builds the image into `cacheDir` once; later calls find it there. */
export async function syntheticImage(cacheDir: string, seed = 'berth-bench-pull'): Promise<SyntheticImage> {
  const id = createHash('sha256').update(`${GENERATOR_VERSION}/${seed}`).digest('hex').slice(0, 16);
  const dir = join(cacheDir, `bench-pull-${id}`);
  const summaryPath = join(dir, 'summary.json');
  if (await stat(summaryPath).catch(() => undefined)) {
    return { ...(JSON.parse(await readFile(summaryPath, 'utf8')) as SyntheticImage), layout: dir };
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  const layout = new OciLayout(tmp);
  await layout.init();
  const created = new Date('2026-01-01T00:00:00Z');
  const content = new Content(seed);
  const layers: { blob: LayerBlob; createdBy: string }[] = [];
  let uncompressedBytes = 0;
  let files = 0;
  for (const plan of PLAN) {
    const fs = rootfsEntries(created);
    files += plan.fill(fs, content);
    const tar = await packTar(fs.entries());
    uncompressedBytes += tar.byteLength;
    // Level 6 is what docker and buildkit write by default.
    layers.push({ blob: layerFromTar(tar, 6), createdBy: `bench: ${plan.name}` });
  }
  const manifest = await writePlatformImage(layout, {
    platform: { os: 'linux', architecture: 'amd64' },
    created,
    layers,
    config: { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Cmd: ['/app/bin/server'] },
  });
  const { platform: _unused, ...plain } = manifest;
  const configDigest = (JSON.parse(await readFile(layout.blobPath(manifest.digest), 'utf8')) as { config: { digest: string } }).config.digest;
  await layout.setRefs([{ name: SYNTHETIC_REF, descriptor: plain }]);
  const summary = {
    layers: layers.length,
    uncompressedBytes,
    compressedBytes: layers.reduce((n, l) => n + l.blob.descriptor.size, 0),
    files,
    configDigest,
  };
  await writeFile(join(tmp, 'summary.json'), JSON.stringify(summary));
  await mkdir(cacheDir, { recursive: true });
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return { ...summary, layout: dir };
}
