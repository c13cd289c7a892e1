// Boots berth's guest (host-browser/guest) in v86, or restores it from a state snapshot, and
// connects the agent's channel to serial1 (ttyS1; ttyS0 stays the kernel console). No `node:`
// imports: the browser's worker bundles this file; the caller passes every image's bytes in.
import { V86 } from 'v86';
import { AgentChannel, type AgentHello } from './channel.ts';
import { compressState, decompressState } from './snapshot.ts';

export interface GuestImages {
  /** SeaBIOS bios.bin and vgabios-stdvga.bin (build/guest/bios.bin, vgabios.bin). */
  bios: ArrayBuffer;
  vgaBios: ArrayBuffer;
  /** build/guest/vmlinuz and initrd.gz. */
  kernel: ArrayBuffer;
  initrd: ArrayBuffer;
  /** v86.wasm, as bytes or compiled. */
  wasm: ArrayBuffer | Uint8Array | WebAssembly.Module;
}

export interface BootOptions extends GuestImages {
  /** Guest RAM; a snapshot restores only into the size it was saved with. */
  memoryMiB?: number;
  /** A state from `saveState` (gzip or plain): restore instead of booting. */
  state?: ArrayBuffer | Uint8Array;
  /** Kernel console bytes (ttyS0), for diagnostics. */
  console?: (byte: number) => void;
  /** Kernel command line (default GUEST_CMDLINE). */
  cmdline?: string;
  /** How long the agent may take to answer after a boot or restore. */
  timeoutMs?: number;
}

export const GUEST_CMDLINE = 'console=ttyS0 quiet loglevel=3 tsc=reliable mitigations=off random.trust_cpu=on';

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export class GuestVM {
  readonly channel: AgentChannel;
  /** Milliseconds from the constructor to the agent's first answer. */
  readyMs = 0;
  restored = false;
  private destroyed = false;

  private constructor(private readonly emulator: V86) {
    this.channel = new AgentChannel((bytes) => this.emulator.serial_send_bytes(1, bytes));
  }

  static async boot(opts: BootOptions): Promise<GuestVM> {
    const t0 = Date.now();
    const wasm = opts.wasm;
    const state = opts.state ? await decompressState(opts.state) : undefined;
    const emulator = new V86({
      wasm_fn: async (imports: WebAssembly.Imports) => {
        if (wasm instanceof WebAssembly.Module) return (await WebAssembly.instantiate(wasm, imports)).exports;
        return (await WebAssembly.instantiate(wasm as BufferSource, imports)).instance.exports;
      },
      bios: { buffer: opts.bios },
      vga_bios: { buffer: opts.vgaBios },
      bzimage: { buffer: opts.kernel },
      initrd: { buffer: opts.initrd },
      cmdline: opts.cmdline ?? GUEST_CMDLINE,
      memory_size: (opts.memoryMiB ?? 128) * 1024 * 1024,
      vga_memory_size: 2 * 1024 * 1024,
      filesystem: {},
      autostart: true,
      uart1: true,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
      ...(state ? { initial_state: { buffer: state } } : {}),
    } as ConstructorParameters<typeof V86>[0]);
    const vm = new GuestVM(emulator);
    vm.restored = !!state;
    // Serial bytes come one event each while the CPU runs; hand them over per emulation slice.
    let batch: number[] = [];
    emulator.add_listener('serial1-output-byte', (b: number) => {
      if (!batch.length) queueMicrotask(() => { const bytes = Uint8Array.from(batch); batch = []; vm.channel.receive(bytes); });
      batch.push(b);
    });
    // The agent is the guest's PID 1: if it dies the kernel panics, and only the console says so.
    let tail = '';
    emulator.add_listener('serial0-output-byte', (b: number) => {
      opts.console?.(b);
      tail = (tail + String.fromCharCode(b)).slice(-160);
      if (b === 0x0a && tail.includes('Kernel panic')) {
        const why = /Kernel panic[^\n]*/.exec(tail)?.[0].trim() ?? 'Kernel panic';
        vm.channel.fail(new Error(`the browser guest crashed (${why}); the next Linux container boots a new one`));
      }
    });
    const timeout = opts.timeoutMs ?? 120_000;
    try {
      if (state) {
        // The hello went out before the snapshot: ask the restored agent instead.
        await withTimeout(new Promise<void>((resolve) => emulator.add_listener('emulator-ready', () => resolve())), timeout, 'restoring the guest');
        await withTimeout(vm.channel.request('ping'), timeout, 'the restored guest agent');
        // The guest's clock went on from the moment of the save.
        await vm.setTime(Date.now());
      } else {
        await withTimeout(vm.channel.waitHello(), timeout, 'booting the guest');
      }
    } catch (e) {
      await vm.destroy();
      throw e;
    }
    vm.readyMs = Date.now() - t0;
    return vm;
  }

  get hello(): AgentHello | undefined { return this.channel.hello; }

  /** Sets the guest's wall clock (ms since the epoch). */
  async setTime(ms: number): Promise<void> {
    await this.channel.request('set-time', { ms });
  }

  /** Puts a file into the 9p share the guest mounts at /mnt/host. */
  async putFile(path: string, bytes: Uint8Array): Promise<void> {
    await this.emulator.create_file(path, bytes);
  }

  /** A file the agent wrote into the 9p share. */
  async readFile(path: string): Promise<Uint8Array> {
    return this.emulator.read_file(path);
  }

  /** The whole machine state, gzip-compressed; take it while the agent is idle (no containers). */
  async saveState(): Promise<ArrayBuffer> {
    return compressState(await this.emulator.save_state());
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.channel.fail(new Error('the guest was shut down'));
    await this.emulator.destroy();
  }
}
