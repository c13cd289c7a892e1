// Keeps an idle berthd small. A daemon spends most of its life waiting for the next request, so memory it
// took for a burst (a pull, a save, start-up's image import) should go back to the system once the burst is
// over: V8 keeps its young generation at the size of the busiest moment, and glibc keeps freed chunks in
// its heaps for the next malloc. Measured effects are in BENCHMARKS.md ("Daemon memory").
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { M_ARENA_MAX, native, type NativeAddon } from '../native/index.ts';

/** The addon, or undefined when it is not built: memory tuning is worth having, never worth failing over. */
function addon(): NativeAddon | undefined {
  try { return native(); } catch { return undefined; }
}

/** Once, as the daemon starts, before it does any work. */
export function tuneMemory(): void {
  // V8's compilers past the interpreter (Sparkplug, TurboFan) pay off for JavaScript that runs hot for
  // long; berthd's time goes to system calls, zlib and hashing (a pull's profile: a few % in JavaScript).
  // Without them the daemon never touches their code in node's executable nor keeps machine code in its
  // heap: ≈ 2 MB less RSS, and no difference measured on `docker run` or pull. Flags set now apply to
  // every compilation to come; nothing has run hot yet.
  setFlagsFromString('--no-opt');
  setFlagsFromString('--no-sparkplug');
  // Each thread that mallocs gets an arena of its own (up to 8 per core), and each keeps its freed
  // chunks; the daemon's threads (libuv's pool, V8's workers) allocate little, so two arenas are enough.
  addon()?.mallopt(M_ARENA_MAX, 2);
}

let gc: (() => void) | undefined;
function fullGc(): void {
  if (!gc) {
    // gc() is only installed in contexts created after --expose-gc is set; the context is dropped after.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * Gives what an idle daemon does not use back to the system: a full collection that also shrinks V8's heap
 * (what V8's memory reducer would do some seconds later, done at once), then malloc_trim so glibc returns
 * the free pages of every arena. A few ms on berthd's heap, and the next request recompiles what it runs:
 * call it only when the daemon is quiet.
 */
export function releaseMemory(): void {
  const a = addon();
  if (!a) { fullGc(); return; }
  a.lowMemoryNotification();
  a.mallocTrim();
}
