// A container while the daemon runs: its record plus what is live (the runtime task, pending
// attaches, waiters, the restart manager's back-off), none of which is persisted.
import type { ContainerRecord } from './types.ts';
import type { ContainerTask, ProcessTask } from './runtime.ts';
import type { ExecRecord } from './types.ts';
import { AsyncMutex } from '../../metadata/async-mutex.ts';

export interface ExecInstance {
  rec: ExecRecord;
  cmd: string[];
  task?: ProcessTask;
  consoleSize?: [number, number];
}

export class Container {
  task: ContainerTask | undefined;
  /** Start, stop, restart and remove run one at a time per container. */
  readonly lock = new AsyncMutex();
  private readonly saveLock = new AsyncMutex();
  removing = false;
  removed = false;
  /** Set by stop/kill: the next exit must not trigger the restart policy (dockerd's ExitOnNext). */
  exitOnNext = false;
  restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** The restart manager's back-off in ms (0: not started yet). */
  backoffMs = 0;
  /** Attaches made before start: connected to the task before its process may run. */
  pendingAttach: { connect: (task: ContainerTask) => Promise<void>; fail: (e: unknown) => void }[] = [];
  readonly execs = new Map<string, ExecInstance>();
  private exitWaiters: (() => void)[] = [];
  private removeWaiters: (() => void)[] = [];

  /** The record in memory is ahead of the one on disk (a write failed, e.g. on a full disk). */
  dirty = false;

  /** `persisted`: the record is on disk already (loaded at start); a new container's is not. */
  constructor(public rec: ContainerRecord, public persisted = false) {}

  get id(): string { return this.rec.Id; }
  get running(): boolean { return this.rec.State.Running; }

  /** Resolves at the container's next exit (also one followed by a policy restart). */
  nextExit(): Promise<void> {
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  notifyExit(): void {
    for (const w of this.exitWaiters.splice(0)) w();
  }

  whenRemoved(): Promise<void> {
    if (this.removed) return Promise.resolve();
    return new Promise((resolve) => this.removeWaiters.push(resolve));
  }

  notifyRemoved(): void {
    this.removed = true;
    this.notifyExit();
    for (const w of this.removeWaiters.splice(0)) w();
  }

  /**
   * Writes the record after every transition, one write at a time. A write takes the state as it is
   * when it begins, so writes queued behind it that it already covers are skipped; a failed write
   * leaves the record dirty (the service retries it) and the previous one on disk.
   */
  persist(write: (rec: ContainerRecord) => Promise<void>): Promise<void> {
    this.dirty = true;
    return this.saveLock.run(async () => {
      if (this.removed || !this.dirty) return;
      this.dirty = false;
      try {
        await write(this.rec);
      } catch (e) {
        this.dirty = true;
        throw e;
      }
      this.persisted = true;
    });
  }

  /** Deletes the record after any write in flight. */
  unpersist(remove: () => Promise<void>): Promise<void> {
    return this.saveLock.run(async () => {
      await remove();
      this.dirty = false;
    });
  }
}
