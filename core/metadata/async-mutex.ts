// One writer at a time: each caller runs after the previous one settles, in call order.

export class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    // The chain must survive a failed run, or every later caller would inherit its error.
    this.tail = result.catch(() => {});
    return result;
  }
}
