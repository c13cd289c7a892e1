// Booting the v86 guest from the engine worker, on the first Linux container: its images (BIOS,
// kernel, initrd, v86.wasm) are fetched from beside the worker; after a cold boot the machine state
// is saved (gzip) in OPFS, and later starts restore it instead of booting (the playground's fast
// start). The state is kept per guest build (the digest of kernel and initrd), so a rebuilt guest
// never restores an old one's state. The page sees progress as `{ berthStatus: 'vm', ... }` messages.
import type { HashFactory } from '../../core/host.ts';
import { errorMessage } from '../../core/errors.ts';
import { GuestVM, type GuestImages } from '../vm/guest-vm.ts';
import { isNotFoundError, move, names } from '../storage/opfs.ts';
import type { ContainerRuntime, ContainerTask } from '../../core/engine/containers/runtime.ts';
import type { LayerSource } from '../runtime/layer-source.ts';

/** `failed`: it did not boot; `crashed`: it died under its containers (the next Linux container boots a new one). */
export type VmState = 'idle' | 'booting' | 'running' | 'unavailable' | 'failed' | 'crashed';
export type VmStatus = (status: { state: VmState; progress?: number; detail?: string }) => void;

export interface GuestBootOptions {
  /** URL of the guest's directory (bios.bin, vgabios.bin, vmlinuz, initrd.gz), ending in `/`. */
  guest: string;
  /** URL of v86.wasm. */
  wasm: string;
  /** URL of a saved state (make-snapshot.ts's state.bin.gz) a first start restores; none: it boots. */
  state?: string;
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

/** The state shipped with the page; none when it was built (or is served) without one. */
async function shippedState(o: GuestBootOptions): Promise<ArrayBuffer | undefined> {
  if (!o.state) return undefined;
  const res = await fetch(o.state).catch(() => undefined);
  return res?.ok ? res.arrayBuffer() : undefined;
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

/**
 * Boots (or restores) the guest; a state that no longer restores is dropped and the guest booted.
 * `stateName` is where this guest build's state is kept.
 */
export async function bootGuest(o: GuestBootOptions): Promise<{ vm: GuestVM; stateName: string }> {
  const status = o.status ?? (() => {});
  status({ state: 'booting', progress: 0, detail: 'fetching the guest' });
  try {
    // With no state of its own yet, the shipped one is fetched beside the images.
    const shipped = !o.states || !(await names(o.states)).length ? shippedState(o) : undefined;
    const images = await guestImages(o);
    const h = o.hash('sha256');
    h.update(new Uint8Array(images.kernel));
    h.update(new Uint8Array(images.initrd));
    const build = h.digest().slice(0, 16);
    const name = `guest-${build}.state.gz`;
    const saved = o.states ? await readState(o.states, name) : undefined;
    // A first start restores the state shipped beside the guest (make-snapshot.ts) instead of booting.
    const state = saved ?? await (shipped ?? shippedState(o));
    if (state) {
      status({ state: 'booting', progress: 0.5, detail: saved ? 'restoring the saved guest' : 'restoring the shipped guest' });
      try {
        const vm = await GuestVM.boot({ ...images, state });
        status({ state: 'running', detail: 'restored' });
        return { vm, stateName: name };
      } catch (e) {
        if (saved) await o.states!.removeEntry(name).catch(() => {});
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
    return { vm, stateName: name };
  } catch (e) {
    status({ state: 'failed', detail: errorMessage(e) });
    throw e;
  }
}

/**
 * The guest of one engine worker: booted once, on first use, and its state saved again once the
 * layers pushed into it since the last save are in (after the containers that needed them ended),
 * so that the next start restores a guest that has them and a first container starts at once.
 * A state is only taken with no Linux container alive or being created: v86 captures the machine
 * synchronously, so checking just before the capture is enough.
 */
export class GuestKeeper {
  private booting: Promise<{ vm: GuestVM; stateName: string }> | undefined;
  private live = 0;
  private unsaved = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly o: GuestBootOptions, private readonly saveDelayMs = 1000) {}

  readonly vm = async (): Promise<GuestVM> => {
    const had = this.booting;
    const booted = had && await had.catch(() => undefined);
    if (booted?.vm.channel.failed && this.booting === had) {
      // The guest crashed (its containers ended with it): the next container gets a new one.
      this.booting = undefined;
      void booted.vm.destroy().catch(() => {});
    }
    this.booting ??= bootGuest(this.o).catch((e) => { this.booting = undefined; throw e; });
    return (await this.booting).vm;
  };

  /** Notes each layer the runtime pushes into the guest. */
  watch(layers: LayerSource): LayerSource {
    return { open: (diffID, image) => { this.unsaved = true; return layers.open(diffID, image); } };
  }

  /** Counts the runtime's containers from create until they end. */
  track(runtime: ContainerRuntime): ContainerRuntime {
    const create: ContainerRuntime['create'] = async (rec, image, stdio) => {
      this.live++;
      let task: ContainerTask;
      try {
        task = await runtime.create(rec, image, stdio);
      } catch (e) {
        this.ended();
        throw e;
      }
      void task.wait().catch(() => undefined).finally(() => { this.crashed(); this.ended(); });
      return task;
    };
    return new Proxy(runtime, {
      get: (target, prop) => {
        if (prop === 'create') return create;
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }

  /** The status line learns of a crash when the guest's containers end with it. */
  private crashed(): void {
    void this.booting?.then(({ vm }) => {
      const why = vm.channel.failed;
      if (why) this.o.status?.({ state: 'crashed', detail: why.message });
    }, () => {});
  }

  private ended(): void {
    this.live--;
    if (!this.unsaved || !this.o.states || this.live > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { void this.save(); }, this.saveDelayMs);
  }

  private async save(): Promise<void> {
    const booted = this.booting && await this.booting.catch(() => undefined);
    // (a crashed guest's state would restore a crashed guest)
    if (!booted || booted.vm.channel.failed || !this.o.states || !this.unsaved || this.live > 0) return;
    this.unsaved = false;
    try {
      await writeState(this.o.states, booted.stateName, await booted.vm.saveState());
      this.o.status?.({ state: 'running', detail: 'state saved with its layers' });
    } catch (e) {
      this.unsaved = true;
      console.warn(`berth: the guest state was not saved: ${errorMessage(e)}`);
    }
  }
}
