// One stream read once, delivered to several consumers (a layer download going into the content
// store and into the snapshotter at the same time). Unlike ReadableStream.tee(), the source is read
// only as fast as the slowest branch takes it, so a slow consumer never makes the other branch
// buffer the whole layer in memory.

export interface FanOut {
  branches: ReadableStream<Uint8Array>[];
  /** Errors every branch with `reason` and cancels the source (a sibling failed; stop now). */
  abort(reason: unknown): void;
}

/** Chunks each branch may hold before it stops asking for more. */
const BRANCH_QUEUE = 8;

interface Branch {
  controller: ReadableStreamDefaultController<Uint8Array>;
  live: boolean;
  /** Set while the branch waits for a chunk: resolves its pending pull. */
  wake?: () => void;
}

/**
 * `count` branches of `source`. A cancelled branch stops counting (the others go on without it);
 * when every branch is cancelled, so is the source. A branch nobody reads holds the others back
 * once its queue is full: cancel it when its consumer turns out not to need it.
 */
export function fanOut(source: ReadableStream<Uint8Array>, count: number): FanOut {
  const reader = source.getReader();
  const all: Branch[] = [];
  let reading = false;
  let finished = false;

  const wakeAll = () => {
    for (const b of all) {
      const w = b.wake;
      b.wake = undefined;
      w?.();
    }
  };
  const fail = (reason: unknown) => {
    if (finished) return;
    finished = true;
    for (const b of all) if (b.live) b.controller.error(reason);
    wakeAll();
  };
  const pump = async () => {
    if (reading || finished) return;
    const live = all.filter((b) => b.live);
    // Every live branch must have asked for more: that is the back-pressure.
    if (live.length === 0 || live.some((b) => !b.wake)) return;
    reading = true;
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (e) {
      reading = false;
      fail(e);
      return;
    }
    reading = false;
    if (finished) return;
    if (r.done) {
      finished = true;
      for (const b of all) if (b.live) b.controller.close();
    } else {
      for (const b of all) if (b.live) b.controller.enqueue(r.value);
    }
    wakeAll();
  };

  const branches = Array.from({ length: count }, () => {
    let branch!: Branch;
    return new ReadableStream<Uint8Array>({
      start(controller) {
        branch = { controller, live: true };
        all.push(branch);
      },
      pull() {
        if (finished) return;
        return new Promise<void>((resolve) => {
          branch.wake = resolve;
          void pump();
        });
      },
      cancel(reason) {
        branch.live = false;
        const w = branch.wake;
        branch.wake = undefined;
        w?.();
        if (all.every((b) => !b.live)) {
          finished = true;
          return reader.cancel(reason);
        }
        void pump();
        return undefined;
      },
    }, new CountQueuingStrategy({ highWaterMark: BRANCH_QUEUE }));
  });

  return {
    branches,
    abort(reason) {
      fail(reason);
      void reader.cancel(reason).catch(() => {});
    },
  };
}
