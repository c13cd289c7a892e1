// Inside the worker: runs one wasm module with @bjorn3/browser_wasi_shim (WASI preview 1) on the
// container's in-memory root filesystem, streaming each write of fd 1 and 2 to the engine as it
// happens. Hosts start it from a tiny entry file (Linux: host-linux/runtime/wasi-worker.ts).
import { ConsoleStdout, Directory, File, Fd, OpenFile, PreopenDirectory, WASI, type Inode, wasi } from '@bjorn3/browser_wasi_shim';
import type { RootfsImage } from './rootfs.ts';
import type { RunMessage, WorkerScope } from './protocol.ts';
import { StdinRingReader } from './stdin-ring.ts';

/** fd 0 on the stdin ring: fd_read blocks until the engine has bytes or closed stdin. */
class RingStdin extends Fd {
  constructor(private readonly ring: StdinRingReader) { super(); }
  override fd_read(size: number): { ret: number; data: Uint8Array } {
    return { ret: wasi.ERRNO_SUCCESS, data: this.ring.read(size) };
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

function stdinFd(msg: RunMessage): Fd {
  if (msg.stdin) return new RingStdin(new StdinRingReader(msg.stdin));
  return new OpenFile(new File(msg.stdinBytes ?? new Uint8Array(0), { readonly: true }));
}

export function serveWasiWorker(scope: WorkerScope): void {
  scope.onMessage((msg) => {
    if (msg.type !== 'run') return;
    const output = (fd: 1 | 2) => new ConsoleStdout((data) => {
      // A copy: the module's memory is reused for its next write.
      scope.postMessage({ type: 'output', fd, data: data.slice() });
    });
    const fds = [stdinFd(msg), output(1), output(2), new PreopenDirectory('/', rootDirectory(msg.rootfs))];
    const shim = new WASI(msg.args, msg.env, fds, { debug: false });
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
