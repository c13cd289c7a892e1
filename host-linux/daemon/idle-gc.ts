// Returns an idle daemon's garbage to the system. V8 collects when allocation pressure asks for it,
// not when the daemon goes quiet, so the heap (young generation included) stays at the size of the
// last busy moment, and glibc keeps what was freed. One release (memory.ts) a few seconds after the
// last API request (and after start-up work, and at once after an image stream) gives that back, for a
// few ms each.
import { releaseMemory } from './memory.ts';

type Handler = (req: Request) => Promise<Response>;

const IDLE_MS = 3_000;

export interface IdleGc {
  /** Wraps the API handler: every request pushes the collection back. */
  wrap(handle: Handler): Handler;
  /** Start-up work (built-in image import) is done, or any other burst ended: collect once quiet. */
  poke(): void;
  /**
   * A large stream (image save, pull, load) ended: collect now. Its buffers are garbage, and if the next requests
   * allocate above them before a collection, malloc cannot give that memory back even once they are freed.
   */
  now(): void;
}

export function idleGc(idleMs = IDLE_MS): IdleGc {
  let timer: NodeJS.Timeout | undefined;
  const poke = () => {
    if (timer) timer.refresh();
    else timer = setTimeout(() => { timer = undefined; releaseMemory(); }, idleMs).unref();
  };
  let pending = false;
  const now = () => {
    if (pending) return;
    pending = true;
    setImmediate(() => { pending = false; releaseMemory(); });
  };
  return {
    poke,
    now,
    wrap: (handle) => async (req) => {
      poke();
      try { return await handle(req); } finally { poke(); }
    },
  };
}
