// How the page learns that its engine worker is gone. A terminated or crashed worker sends nothing,
// and comlink's calls to it would wait forever; but the Web Locks a worker holds are released when
// it ends. The worker takes a lock for its whole life and says so; the page then asks for the same
// lock, and gets it once the worker is gone.

/** The worker's `berthStatus` message once it holds its lifeline. */
export const ALIVE_MESSAGE = 'alive';

interface Locks { request(name: string, grant: () => Promise<unknown>): Promise<unknown> }

function locks(): Locks | undefined {
  return (globalThis as { navigator?: { locks?: Locks } }).navigator?.locks;
}

/** In the worker: holds the lock `name` until the worker ends; `held` runs once it is held. */
export function holdLifeline(name: string, held: () => void): void {
  const l = locks();
  // Without Web Locks (not a secure context) the page cannot tell; the worker is up all the same.
  if (!l) { held(); return; }
  void l.request(name, () => { held(); return new Promise<never>(() => {}); });
}

/** On the page, after the worker said it holds `name`: resolves when that worker is gone. */
export function lifelineEnded(name: string): Promise<void> {
  const l = locks();
  return l ? l.request(name, async () => {}).then(() => {}) : new Promise<never>(() => {});
}
