// A wasm module reads stdin synchronously (fd_read) inside its worker while the engine receives the
// bytes asynchronously: a ring buffer in a SharedArrayBuffer joins the two. The worker blocks in
// Atomics.wait until bytes or EOF arrive; the engine waits (asynchronously) for room when it is full.

const WRITTEN = 0;
const READ = 1;
const CLOSED = 2;
/** Bumped on every write and on close: what a blocked reader waits on. */
const WRITE_SEQ = 3;
/** Bumped on every read: what a writer waiting for room waits on. */
const READ_SEQ = 4;
const HEADER = 8 * 4;

export const STDIN_RING_BYTES = 64 * 1024;

export function stdinRingSupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
}

export function createStdinRing(capacity = STDIN_RING_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + capacity);
}

/** The engine's end: writes keep the order of the chunks; close() is EOF for the module. */
export class StdinRingWriter {
  private readonly head: Int32Array;
  private readonly data: Uint8Array;
  private abandoned = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(buffer: SharedArrayBuffer) {
    this.head = new Int32Array(buffer, 0, HEADER / 4);
    this.data = new Uint8Array(buffer, HEADER);
  }

  write(chunk: Uint8Array): Promise<void> {
    this.queue = this.queue.then(() => this.put(chunk));
    return this.queue;
  }

  close(): Promise<void> {
    this.queue = this.queue.then(() => {
      Atomics.store(this.head, CLOSED, 1);
      Atomics.add(this.head, WRITE_SEQ, 1);
      Atomics.notify(this.head, WRITE_SEQ);
    });
    return this.queue;
  }

  /** The module has ended: pending and later writes are dropped instead of waiting for room. */
  abandon(): void { this.abandoned = true; }

  private async put(chunk: Uint8Array): Promise<void> {
    const cap = this.data.length;
    let off = 0;
    while (off < chunk.length && !this.abandoned && !Atomics.load(this.head, CLOSED)) {
      const seq = Atomics.load(this.head, READ_SEQ);
      const w = Atomics.load(this.head, WRITTEN) >>> 0;
      const r = Atomics.load(this.head, READ) >>> 0;
      const free = cap - ((w - r) >>> 0);
      if (free === 0) { await waitChange(this.head, READ_SEQ, seq); continue; }
      const n = Math.min(free, chunk.length - off);
      for (let i = 0; i < n; i++) this.data[(w + i) % cap] = chunk[off + i]!;
      off += n;
      Atomics.store(this.head, WRITTEN, (w + n) | 0);
      Atomics.add(this.head, WRITE_SEQ, 1);
      Atomics.notify(this.head, WRITE_SEQ);
    }
  }
}

async function waitChange(head: Int32Array, index: number, seen: number): Promise<void> {
  // waitAsync where the engine has it; a short sleep elsewhere. The timeout lets abandon() be noticed.
  const waitAsync = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: unknown } }).waitAsync;
  if (waitAsync) {
    const r = waitAsync(head, index, seen, 50);
    if (r.async) await r.value;
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
}

/** The module's end: blocking reads, inside the worker. */
export class StdinRingReader {
  private readonly head: Int32Array;
  private readonly data: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    this.head = new Int32Array(buffer, 0, HEADER / 4);
    this.data = new Uint8Array(buffer, HEADER);
  }

  /** Up to `max` bytes, blocking until some arrive; an empty array at EOF. */
  read(max: number): Uint8Array {
    const cap = this.data.length;
    for (;;) {
      const seq = Atomics.load(this.head, WRITE_SEQ);
      const closed = Atomics.load(this.head, CLOSED);
      const w = Atomics.load(this.head, WRITTEN) >>> 0;
      const r = Atomics.load(this.head, READ) >>> 0;
      const avail = (w - r) >>> 0;
      if (avail > 0) {
        const n = Math.min(avail, max);
        const out = new Uint8Array(n);
        for (let i = 0; i < n; i++) out[i] = this.data[(r + i) % cap]!;
        Atomics.store(this.head, READ, (r + n) | 0);
        Atomics.add(this.head, READ_SEQ, 1);
        Atomics.notify(this.head, READ_SEQ);
        return out;
      }
      if (closed) return new Uint8Array(0);
      Atomics.wait(this.head, WRITE_SEQ, seq);
    }
  }
}
