// Inside the worker: runs one wasm module with @bjorn3/browser_wasi_shim (WASI preview 1) on the
// container's in-memory root filesystem, streaming each write of fd 1 and 2 to the engine as it
// happens. Hosts start it from a tiny entry file (Linux: host-linux/runtime/wasi-worker.ts).
import { ConsoleStdout, Directory, File, Fd, OpenFile, PreopenDirectory, WASI, type Inode, wasi } from '@bjorn3/browser_wasi_shim';
import type { RootfsImage } from './rootfs.ts';
import { COUNTER_BLOCKED, COUNTER_BLOCKED_MS, COUNTER_OUTPUT_IN_FLIGHT, OUTPUT_IN_FLIGHT_MAX, type RunMessage, type WorkerScope } from './protocol.ts';
import { StdinRingReader } from './stdin-ring.ts';

/** Runs a call that may block (a stdin read, a sleep), counting its time as time not running. */
type Blocking = <T>(fn: () => T) => T;

function blockingCounter(counters: Int32Array | undefined): Blocking {
  if (!counters) return (fn) => fn();
  return (fn) => {
    Atomics.store(counters, COUNTER_BLOCKED, 1);
    const t0 = performance.now();
    try { return fn(); } finally {
      Atomics.add(counters, COUNTER_BLOCKED_MS, Math.round(performance.now() - t0));
      Atomics.store(counters, COUNTER_BLOCKED, 0);
    }
  };
}

/** fd 0 on the stdin ring: fd_read blocks until the engine has bytes or closed stdin. */
class RingStdin extends Fd {
  constructor(private readonly ring: StdinRingReader, private readonly blocking: Blocking) { super(); }
  override fd_read(size: number): { ret: number; data: Uint8Array } {
    return { ret: wasi.ERRNO_SUCCESS, data: this.blocking(() => this.ring.read(size)) };
  }
  override fd_fdstat_get(): { ret: number; fdstat: wasi.Fdstat | null } {
    return { ret: 0, fdstat: new wasi.Fdstat(wasi.FILETYPE_CHARACTER_DEVICE, 0) };
  }
  override fd_filestat_get(): { ret: number; filestat: wasi.Filestat } {
    return { ret: 0, filestat: new wasi.Filestat(0n, wasi.FILETYPE_CHARACTER_DEVICE, 0n) };
  }
}

/** The root directory's contents; files are views of the worker's own copy of the image's bytes. */
export function rootDirectory(rootfs: RootfsImage): Map<string, Inode> {
  const root = new Map<string, Inode>();
  const dirs = new Map<string, Map<string, Inode>>([['', root]]);
  const dirOf = (path: string): Map<string, Inode> => {
    let d = dirs.get(path);
    if (d) return d;
    const slash = path.lastIndexOf('/');
    const parent = dirOf(slash < 0 ? '' : path.slice(0, slash));
    d = new Map();
    parent.set(path.slice(slash + 1), new Directory(d));
    dirs.set(path, d);
    return d;
  };
  for (const e of rootfs.entries) {
    if (e.kind === 'dir') { dirOf(e.path); continue; }
    const slash = e.path.lastIndexOf('/');
    const file = new File(new ArrayBuffer(0));
    // Assigned, not passed: File's constructor would copy the bytes once more.
    file.data = new Uint8Array(rootfs.data, e.offset, e.size);
    dirOf(slash < 0 ? '' : e.path.slice(0, slash)).set(e.path.slice(slash + 1), file);
  }
  return root;
}

function stdinFd(msg: RunMessage, blocking: Blocking): Fd {
  if (msg.stdin) return new RingStdin(new StdinRingReader(msg.stdin), blocking);
  return new OpenFile(new File(msg.stdinBytes ?? new Uint8Array(0), { readonly: true }));
}

/**
 * The shim's poll_oneoff spins until a clock subscription's time (sleep, nanosleep): a sleeping
 * module would burn a core. Where shared memory exists a single clock subscription is answered
 * here instead, waiting in Atomics.wait; anything else goes to the shim.
 */
function sleepWithoutSpinning(shim: WASI, blocking: Blocking): void {
  if (typeof SharedArrayBuffer !== 'function') return;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const original = shim.wasiImport.poll_oneoff!;
  shim.wasiImport.poll_oneoff = (inPtr: number, outPtr: number, n: number, neventsPtr: number) => {
    const view = new DataView(shim.inst.exports.memory.buffer);
    const s = n === 1 ? wasi.Subscription.read_bytes(view, inPtr) : undefined;
    if (!s || s.eventtype !== wasi.EVENTTYPE_CLOCK || (s.clockid !== wasi.CLOCKID_REALTIME && s.clockid !== wasi.CLOCKID_MONOTONIC)) {
      return original(inPtr, outPtr, n, neventsPtr);
    }
    const now = s.clockid === wasi.CLOCKID_REALTIME ? () => Date.now() : () => performance.now();
    const absolute = (s.flags & wasi.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME) !== 0;
    const end = absolute ? Number(s.timeout / 1000n) / 1000 : now() + Number(s.timeout / 1000n) / 1000;
    blocking(() => { for (let left = end - now(); left > 0; left = end - now()) Atomics.wait(cell, 0, 0, left); });
    // The memory may have grown meanwhile: a fresh view.
    const out = new DataView(shim.inst.exports.memory.buffer);
    new wasi.Event(s.userdata, wasi.ERRNO_SUCCESS, s.eventtype).write_bytes(out, outPtr);
    if (neventsPtr) out.setUint32(neventsPtr, 1, true);
    return wasi.ERRNO_SUCCESS;
  };
}

/**
 * The module's files live in the engine's memory (the worker's), not in the module's: their growth
 * is counted against a budget, and a write beyond it fails with ENOSPC as on a full tmpfs.
 */
function limitFileGrowth(): (bytes: number) => void {
  let left = Infinity;
  const fits = (f: OpenFile, end: bigint): boolean => {
    const grow = Number(end) - f.file.data.byteLength;
    if (grow <= 0) return true;
    if (grow > left) return false;
    left -= grow;
    return true;
  };
  const p = OpenFile.prototype;
  const { fd_write: write, fd_pwrite: pwrite, fd_allocate: allocate, fd_filestat_set_size: setSize } = p;
  p.fd_write = function (data) {
    return fits(this, this.file_pos + BigInt(data.byteLength)) ? write.call(this, data) : { ret: wasi.ERRNO_NOSPC, nwritten: 0 };
  };
  p.fd_pwrite = function (data, offset) {
    return fits(this, offset + BigInt(data.byteLength)) ? pwrite.call(this, data, offset) : { ret: wasi.ERRNO_NOSPC, nwritten: 0 };
  };
  p.fd_allocate = function (offset, len) { return fits(this, offset + len) ? allocate.call(this, offset, len) : wasi.ERRNO_NOSPC; };
  p.fd_filestat_set_size = function (size) { return fits(this, size) ? setSize.call(this, size) : wasi.ERRNO_NOSPC; };
  return (bytes) => { left = bytes; };
}

export function serveWasiWorker(scope: WorkerScope): void {
  const setFileBudget = limitFileGrowth();
  scope.onMessage((msg) => {
    if (msg.type !== 'run') return;
    setFileBudget(msg.fileBytes);
    const counters = msg.counters ? new Int32Array(msg.counters) : undefined;
    const blocking = blockingCounter(counters);
    const output = (fd: 1 | 2) => new ConsoleStdout((data) => {
      if (counters) {
        for (let inFlight = Atomics.load(counters, COUNTER_OUTPUT_IN_FLIGHT); inFlight > OUTPUT_IN_FLIGHT_MAX; inFlight = Atomics.load(counters, COUNTER_OUTPUT_IN_FLIGHT)) {
          blocking(() => Atomics.wait(counters, COUNTER_OUTPUT_IN_FLIGHT, inFlight, 1000));
        }
        Atomics.add(counters, COUNTER_OUTPUT_IN_FLIGHT, data.length);
      }
      // A copy: the module's memory is reused for its next write.
      scope.postMessage({ type: 'output', fd, data: data.slice() });
    });
    const fds = [stdinFd(msg, blocking), output(1), output(2), new PreopenDirectory('/', rootDirectory(msg.rootfs))];
    const shim = new WASI(msg.args, msg.env, fds, { debug: false });
    sleepWithoutSpinning(shim, blocking);
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(msg.module, { wasi_snapshot_preview1: shim.wasiImport });
    } catch (e) {
      scope.postMessage({ type: 'failed', message: (e as Error).message });
      return;
    }
    const exports = instance.exports as { memory?: WebAssembly.Memory; _start?: () => unknown };
    if (typeof exports._start !== 'function' || !(exports.memory instanceof WebAssembly.Memory)) {
      scope.postMessage({ type: 'failed', message: 'the module is not a WASI command: it must export "_start" and "memory"' });
      return;
    }
    scope.postMessage({ type: 'started' });
    let code: number;
    try {
      code = shim.start(instance as unknown as { exports: { memory: WebAssembly.Memory; _start: () => unknown } });
    } catch (e) {
      scope.postMessage({ type: 'trap', message: e instanceof Error ? e.message : String(e) });
      return;
    }
    scope.postMessage({ type: 'exit', code: code >>> 0 & 0xff });
  });
}
