// Boots the built guest once in Node, puts the built-in linux/386 images' layers into it, and saves
// the machine state (gzip) as build/guest/state.bin.gz: a page that restores it runs its first
// container in about a second instead of booting for half a minute. A state saved by Node restores in
// a browser: v86's state is the machine's, not the host's.
//   node --import tsx host-browser/guest/make-snapshot.ts [--guest build/guest] [--images build/images]
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GuestVM } from '../vm/guest-vm.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : def; };
const GUEST = resolve(arg('--guest', join(ROOT, 'build/guest')));
const IMAGES = resolve(arg('--images', join(ROOT, 'build/images')));
const WASM = join(ROOT, 'node_modules/v86/build/v86.wasm');
const OUT = join(GUEST, 'state.bin.gz');
const INPUTS = ['bios.bin', 'vgabios.bin', 'vmlinuz', 'initrd.gz'].map((f) => join(GUEST, f));

const bytes = (p: string) => { const b = readFileSync(p); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer; };
const blob = (digest: string) => join(IMAGES, 'blobs', digest.replace(':', '/'));
const json = (digest: string) => JSON.parse(readFileSync(blob(digest), 'utf8'));

/** Every layer of the layout's linux/386 images, by diffID -> blob path. */
function layers386(): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(join(IMAGES, 'index.json'))) return out;
  const walk = (desc: { digest: string; mediaType?: string; platform?: { os: string; architecture: string } }) => {
    const doc = json(desc.digest);
    if (doc.manifests) { for (const m of doc.manifests) walk(m); return; }
    if (!doc.layers || (desc.platform && (desc.platform.os !== 'linux' || desc.platform.architecture !== '386'))) return;
    const config = json(doc.config.digest);
    if (config.os !== 'linux' || config.architecture !== '386') return;
    config.rootfs.diff_ids.forEach((d: string, i: number) => out.set(d, blob(doc.layers[i].digest)));
  };
  for (const m of JSON.parse(readFileSync(join(IMAGES, 'index.json'), 'utf8')).manifests) walk(m);
  return out;
}

const newest = Math.max(...[...INPUTS, WASM].map((f) => statSync(f).mtimeMs));
if (existsSync(OUT) && statSync(OUT).mtimeMs > newest && !process.argv.includes('--force')) {
  console.log(`guest snapshot: ${OUT} is up to date`);
  process.exit(0);
}
const t0 = Date.now();
const vm = await GuestVM.boot({
  bios: bytes(INPUTS[0]!), vgaBios: bytes(INPUTS[1]!), kernel: bytes(INPUTS[2]!), initrd: bytes(INPUTS[3]!),
  wasm: readFileSync(WASM), timeoutMs: 600_000,
});
const bootMs = Date.now() - t0;
try {
  const pushed: string[] = [];
  for (const [diffID, path] of layers386()) {
    const name = `layer-${diffID.slice(7)}`;
    await vm.putFile(name, new Uint8Array(readFileSync(path)));
    await vm.channel.request('layer', { diffID, path: name });
    pushed.push(diffID);
  }
  const state = await vm.saveState();
  writeFileSync(`${OUT}.tmp`, new Uint8Array(state));
  renameSync(`${OUT}.tmp`, OUT);
  writeFileSync(join(GUEST, 'state.json'), JSON.stringify({ memoryMiB: 128, layers: pushed, savedAt: new Date().toISOString() }) + '\n');
  console.log(`guest snapshot: ${OUT} ${(state.byteLength / 1048576).toFixed(1)} MiB (boot ${bootMs} ms, ${pushed.length} layers inside)`);
} finally {
  await vm.destroy();
}
