// The output of stages built at the same time, written as if they were built one after the other:
// the first unfinished stage writes through, later ones are held until every stage before them is done.
import type { JsonMessage } from '../engine/json-message.ts';

export class OrderedOutput {
  private readonly order: number[];
  private readonly held = new Map<number, JsonMessage[]>();
  private readonly done = new Set<number>();
  private head = 0;

  constructor(stages: readonly number[], private readonly sink: (message: JsonMessage) => void) {
    this.order = [...stages];
  }

  write(stage: number, message: JsonMessage): void {
    const at = this.order.indexOf(stage);
    // A stage found only while building (a --from named through a variable) writes through.
    if (at < 0 || at === this.head) { this.sink(message); return; }
    let list = this.held.get(stage);
    if (!list) this.held.set(stage, (list = []));
    list.push(message);
  }

  finish(stage: number): void {
    this.done.add(stage);
    while (this.head < this.order.length && this.done.has(this.order[this.head]!)) {
      this.head++;
      const next = this.order[this.head];
      if (next !== undefined) this.release(next);
    }
  }

  /** What is still held (a failed build's other stages), in order. */
  flushAll(): void {
    for (const stage of this.order) this.release(stage);
  }

  private release(stage: number): void {
    const list = this.held.get(stage);
    if (!list) return;
    this.held.delete(stage);
    for (const t of list) this.sink(t);
  }
}
