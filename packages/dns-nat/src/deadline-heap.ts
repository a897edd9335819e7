/** A deadline and what it is for. */
export interface Deadline<T> {
  readonly at: number;
  readonly item: T;
}

/**
 * A binary min-heap of deadlines. Entries are never updated in place: the owner pushes a new one
 * when a deadline moves earlier and skips stale ones as they come out, so a deadline that moves
 * later (a flow that saw another packet) costs nothing until it is reached.
 */
export class DeadlineHeap<T> {
  readonly #entries: Deadline<T>[] = [];

  get size(): number {
    return this.#entries.length;
  }

  push(at: number, item: T): void {
    const entries = this.#entries;
    entries.push({ at, item });
    let index = entries.length - 1;
    while (index > 0) {
      const parent = (index - 1) >>> 1;
      const above = entries[parent];
      const here = entries[index];
      if (above === undefined || here === undefined || above.at <= here.at) break;
      entries[parent] = here;
      entries[index] = above;
      index = parent;
    }
  }

  /** The earliest entry, left in place. */
  peek(): Deadline<T> | undefined {
    return this.#entries[0];
  }

  /** Removes and returns the earliest entry. */
  pop(): Deadline<T> | undefined {
    const entries = this.#entries;
    const top = entries[0];
    const last = entries.pop();
    if (top === undefined || last === undefined || entries.length === 0) return top;
    entries[0] = last;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if ((entries[left]?.at ?? Number.POSITIVE_INFINITY) < (entries[smallest]?.at ?? 0)) {
        smallest = left;
      }
      if ((entries[right]?.at ?? Number.POSITIVE_INFINITY) < (entries[smallest]?.at ?? 0)) {
        smallest = right;
      }
      if (smallest === index) return top;
      const here = entries[index];
      const below = entries[smallest];
      if (here === undefined || below === undefined) return top;
      entries[index] = below;
      entries[smallest] = here;
      index = smallest;
    }
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
