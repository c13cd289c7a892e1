// Booting the v86 guest from the engine worker, on the first Linux container: its images (BIOS,
// kernel, initrd, v86.wasm) are fetched from beside the worker; after a cold boot the machine state
// is saved (gzip) in OPFS, and later starts restore it instead of booting (the playground's fast
// start). The state is kept per guest build (the digest of kernel and initrd), so a rebuilt guest
// never restores an old one's state. The page sees progress as `{ berthStatus: 'vm', ... }` messages.
import type { HashFactory } from '../../core/host.ts';
import { errorMessage } from '../../core/errors.ts';
import { GuestVM, type GuestImages } from '../vm/guest-vm.ts';
import { isNotFoundError, move, names } from '../storage/opfs.ts';

export type VmState = 'idle' | 'booting' | 'running' | 'unavailable' | 'failed';
export type VmStatus = (status: { state: VmState; progress?: number; detail?: string }) => void;

export interface GuestBootOptions {
  /** URL of the guest's directory (bios.bin, vgabios.bin, vmlinuz, initrd.gz), ending in `/`. */
  guest: string;
  /** URL of v86.wasm. */
  wasm: string;
  hash: HashFactory;
  /** Where states are kept; none: every start boots. */
  states?: FileSystemDirectoryHandle;
  status?: VmStatus;
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} (is the guest built? bash host-browser/guest/build.sh, then rebuild the page)`);
  return res.arrayBuffer();
}

async function guestImages(o: GuestBootOptions): Promise<GuestImages> {
  const file = (name: string) => fetchBytes(new URL(name, o.guest).href);
  const [bios, vgaBios, kernel, initrd, wasm] = await Promise.all([
    file('bios.bin'), file('vgabios.bin'), file('vmlinuz'), file('initrd.gz'),
    fetchBytes(o.wasm).then((b) => WebAssembly.compile(b)),
  ]);
  return { bios, vgaBios, kernel, initrd, wasm };
}

async function readState(dir: FileSystemDirectoryHandle, name: string): Promise<ArrayBuffer | undefined> {
  try {
    return await (await (await dir.getFileHandle(name)).getFile()).arrayBuffer();
  } catch (e) {
    if (isNotFoundError(e)) return undefined;
    throw e;
  }
}

/** Replaces the saved states with this one (written under a temporary name, then moved). */
async function writeState(dir: FileSystemDirectoryHandle, name: string, state: ArrayBuffer): Promise<void> {
  const tmp = await dir.getFileHandle(`${name}.tmp`, { create: true });
  const w = await tmp.createWritable();
  await w.write(state);
  await w.close();
  await move(tmp, dir, name);
  // read back under its name: the next start must find all of it there
  const saved = await (await dir.getFileHandle(name)).getFile();
  if (saved.size !== state.byteLength) throw new Error(`${name} holds ${saved.size} of ${state.byteLength} bytes`);
  for (const old of await names(dir)) if (old !== name) await dir.removeEntry(old).catch(() => {});
}

/** Boots (or restores) the guest; a state that no longer restores is dropped and the guest booted. */
export async function bootGuest(o: GuestBootOptions): Promise<GuestVM> {
  const status = o.status ?? (() => {});
  status({ state: 'booting', progress: 0, detail: 'fetching the guest' });
  try {
    const images = await guestImages(o);
    const h = o.hash('sha256');
    h.update(new Uint8Array(images.kernel));
    h.update(new Uint8Array(images.initrd));
    const build = h.digest().slice(0, 16);
    const name = `guest-${build}.state.gz`;
    const state = o.states ? await readState(o.states, name) : undefined;
    if (state) {
      status({ state: 'booting', progress: 0.5, detail: 'restoring the saved guest' });
      try {
        const vm = await GuestVM.boot({ ...images, state });
        status({ state: 'running', detail: 'restored' });
        return vm;
      } catch (e) {
        await o.states!.removeEntry(name).catch(() => {});
        status({ state: 'booting', progress: 0.1, detail: `the saved guest did not restore (${errorMessage(e)}): booting` });
      }
    } else {
      // (a saved state of another guest build is replaced once this one is saved)
      const others = o.states ? (await names(o.states)).filter((n) => n !== name) : [];
      status({ state: 'booting', progress: 0.1, detail: `booting the guest (first start${others.length ? `; not restoring ${others.join(', ')}, saved by another guest build` : ''})` });
    }
    const vm = await GuestVM.boot(images);
    let unsaved = '';
    if (o.states) {
      // taken now, with no container in the guest yet, as saveState requires
      await writeState(o.states, name, await vm.saveState()).catch((e) => { unsaved = ` (its state was not saved: ${errorMessage(e)})`; });
    }
    status({ state: 'running', detail: `booted${unsaved}` });
    return vm;
  } catch (e) {
    status({ state: 'failed', detail: errorMessage(e) });
    throw e;
  }
}
