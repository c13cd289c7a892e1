// Collapses concurrent calls for one key into a single run, so N pulls of one blob download it once.

export class SingleFlight<K, V> {
  private readonly running = new Map<K, Promise<V>>();

  /** The run in progress for `key`, if any. */
  get(key: K): Promise<V> | undefined {
    return this.running.get(key);
  }

  /** Joins the run in progress for `key`, or starts `fn` as the one run for it. */
  run(key: K, fn: () => Promise<V>): Promise<V> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const p = (async () => {
      try {
        return await fn();
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, p);
    return p;
  }

  get size(): number {
    return this.running.size;
  }
}
