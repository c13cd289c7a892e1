// The browser host's v86 guest driven under Node for benchmarks: its built images (build/guest), the built-in
// linux/386 busybox from the OCI layout (build/images), containers run through GuestRuntime as the engine worker
// runs them, and a large synthetic layer for measuring how fast layers get into the guest.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestImages } from '../../host-browser/vm/guest-vm.ts';
import { GuestRuntime } from '../../host-browser/runtime/guest-runtime.ts';
import type { LayerSource } from '../../host-browser/runtime/layer-source.ts';
import { newRecord } from '../../core/engine/containers/record.ts';
import type { ContainerImage } from '../../core/engine/containers/runtime.ts';
import type { CreateBody } from '../../core/engine/containers/types.ts';
import type { ImageConfig } from '../../core/image/types.ts';
import { packTar, type TarInput } from '../../core/layer/tar-write.ts';

const GUEST_FILES = ['bios.bin', 'vgabios.bin', 'vmlinuz', 'initrd.gz'];

/** Why the guest cannot be benchmarked here, or undefined. */
export function guestMissing(repo: string): string | undefined {
  const missing = [...GUEST_FILES, 'state.bin.gz'].filter((f) => !existsSync(join(repo, 'build/guest', f)));
  if (missing.length) return `the v86 guest is not built (${missing.join(', ')} missing in build/guest): bash host-browser/guest/build.sh`;
  if (!existsSync(join(repo, 'build/images/index.json'))) return 'the built-in images are not in build/images: ./scripts/setup.sh';
  return undefined;
}

function bytes(path: string): ArrayBuffer {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** The guest's images as a page fetches them (v86.wasm as bytes: compiling it is part of every start). */
export function guestImages(repo: string): GuestImages {
  const [bios, vgaBios, kernel, initrd] = GUEST_FILES.map((f) => bytes(join(repo, 'build/guest', f))) as [ArrayBuffer, ArrayBuffer, ArrayBuffer, ArrayBuffer];
  return { bios, vgaBios, kernel, initrd, wasm: readFileSync(join(repo, 'node_modules/v86/build/v86.wasm')) };
}

/** build/guest/state.bin.gz: the state make-snapshot.ts saved, with the built-in 386 layers inside. */
export function shippedState(repo: string): ArrayBuffer {
  return bytes(join(repo, 'build/guest/state.bin.gz'));
}

/** The built-in linux/386 busybox from the OCI layout, and a layer source over its blobs plus `extra` tars. */
export function busybox386(repo: string, extra: Map<string, Uint8Array>): { image: ContainerImage; layers: LayerSource } {
  const blob = (digest: string) => join(repo, 'build/images/blobs', digest.replace(':', '/'));
  const json = (digest: string) => JSON.parse(readFileSync(blob(digest), 'utf8'));
  const index = JSON.parse(readFileSync(join(repo, 'build/images/index.json'), 'utf8'));
  const entry = index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === 'docker.io/library/busybox:latest');
  const manifest = json(json(entry.digest).manifests.find((m: { platform: { architecture: string } }) => m.platform.architecture === '386').digest);
  const config = json(manifest.config.digest) as ImageConfig;
  const byDiff = new Map(config.rootfs.diff_ids.map((d: string, i: number) => [d, manifest.layers[i].digest as string]));
  return {
    image: { id: manifest.config.digest, config, diffIDs: config.rootfs.diff_ids },
    layers: {
      open: async (diffID) => new Blob([(extra.get(diffID) ?? readFileSync(blob(byDiff.get(diffID)!))) as Uint8Array<ArrayBuffer>]).stream(),
    },
  };
}

export interface SyntheticLayer { diffID: string; tar: Uint8Array; files: number; bytes: number }

/**
 * A plain tar of `mib` MiB under /bench: half in 1 MiB files, half in 64 KiB ones, random bytes (a fresh layer
 * each call, so its diffID is new to any guest).
 */
export async function syntheticLayer(mib: number): Promise<SyntheticLayer> {
  const entries: TarInput[] = [{ header: { name: 'bench/', type: 'directory', mode: 0o755 } }];
  const sizes = [...Array(Math.floor(mib / 2)).fill(1 << 20), ...Array(Math.floor(mib * 8)).fill(64 << 10)] as number[];
  sizes.forEach((size, i) => entries.push({ header: { name: `bench/f-${String(i).padStart(4, '0')}`, size, mode: 0o644 }, body: new Uint8Array(randomBytes(size)) }));
  const tar = await packTar(entries);
  return { diffID: `sha256:${createHash('sha256').update(tar).digest('hex')}`, tar, files: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0) };
}

export interface GuestRun { stdout: string; exitCode: number; /** ms from create() to the first output chunk. */ firstOutputMs: number }

let counter = 0;

/** One container through GuestRuntime (create, attach, start, output, wait, remove), as the engine runs it. */
export async function runInGuest(runtime: GuestRuntime, image: ContainerImage, cmd: string[]): Promise<GuestRun> {
  const id = `${(++counter).toString(16).padStart(8, '0')}${'c'.repeat(56)}`;
  const rec = newRecord({ id, name: `/bench-${counter}`, body: { Cmd: cmd } as CreateBody, image: { id: image.id, config: image.config }, now: new Date() });
  await runtime.prepare(rec, image);
  const t0 = performance.now();
  const task = await runtime.create(rec, image, { stdin: false, stdinOnce: false, tty: false });
  const pair = await task.attach();
  await pair.writable.close().catch(() => {});
  await task.start();
  const reader = pair.readable.getReader();
  const chunks: Uint8Array[] = [];
  let firstOutputMs: number | undefined;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    firstOutputMs ??= performance.now() - t0;
    chunks.push(value);
  }
  const { exitCode } = await task.wait();
  await runtime.remove(rec);
  // Docker's stdcopy frames: 8-byte headers, stream 1 is stdout
  const all = Buffer.concat(chunks);
  let stdout = '';
  for (let off = 0; off + 8 <= all.length; off += 8 + all.readUInt32BE(off + 4)) {
    if (all[off] === 1) stdout += all.subarray(off + 8, off + 8 + all.readUInt32BE(off + 4)).toString();
  }
  return { stdout, exitCode, firstOutputMs: firstOutputMs ?? performance.now() - t0 };
}
