import { Backoff } from "./backoff.ts";
import { nextPowerOfTwo, WORDS_PER_LINE } from "./layout.ts";

/** How a ring is laid out; every thread that opens the ring must use the same shape. */
export interface RingShape {
  /** Cells in the ring, a power of two >= 2. */
  readonly capacity: number;
  /** Words each item carries, 1 to 15. */
  readonly payloadWords: number;
  /**
   * Give every cell a cache line of its own. Right when threads take single items in turn
   * (neighbouring cells would bounce between cores); wasteful when items move in batches.
   */
  readonly padded: boolean;
}

/**
 * A bounded multi-producer multi-consumer FIFO in shared memory: Dmitry Vyukov's
 * sequence-numbered ring, the design of crossbeam's `ArrayQueue`. No lock: producers and
 * consumers each advance their own position with one compare-and-swap per batch.
 *
 * Every cell holds a sequence word followed by the payload words. A cell at position `p` is
 * free for a producer when its sequence is `p`, and holds an item for a consumer when its
 * sequence is `p + 1`; a consumer frees it for the next lap with `p + capacity`.
 *
 * Batches are claim, then touch the payload, then publish (push) or release (pop):
 *
 * ```ts
 * const n = ring.claimPush(batch);
 * for (let i = 0; i < n; i++) words[ring.payloadIndex(ring.claimedPos + i)] = item[i];
 * ring.publishPush(ring.claimedPos, n);
 * ```
 *
 * and single one-word items have `pushWord` and `popWord`.
 *
 * Positions are 32-bit and wrap; the capacity is a power of two, so `position & mask` names
 * the same cell across the wrap. The head and the tail sit on cache lines of their own. As in
 * crossbeam, a ring reports empty only when no producer has claimed a cell past the head, and
 * full only when the tail is a whole lap ahead; a thread that meets a cell another thread has
 * claimed but not yet finished waits for it (`Backoff`), which only happens when that thread
 * was preempted inside its few instructions between claim and publish.
 *
 * Each thread builds its own `AtomicRing` over the shared words: an instance keeps the position
 * of its last claim and is unsafe for concurrent use, the memory under it is made for it.
 */
export class AtomicRing {
  readonly capacity: number;
  readonly payloadWords: number;
  /** First position of the cells that the last successful claim returned. */
  claimedPos = 0;

  readonly #words: Int32Array;
  readonly #tailIndex: number;
  readonly #headIndex: number;
  readonly #cellsIndex: number;
  readonly #cellWords: number;
  readonly #mask: number;
  readonly #backoff = new Backoff();

  /** Words a ring of this shape occupies, starting on a cache line. */
  static wordsNeeded(shape: RingShape): number {
    return 2 * WORDS_PER_LINE + shape.capacity * cellWordsOf(shape);
  }

  /** Rounds a wanted number of items up to a capacity the ring accepts. */
  static capacityFor(items: number): number {
    return nextPowerOfTwo(Math.max(2, items));
  }

  /**
   * Prepares an empty ring; call once, before any thread builds an `AtomicRing` on the words.
   * `startPosition` lets tests begin next to the 32-bit wrap.
   */
  static initialize(words: Int32Array, base: number, shape: RingShape, startPosition = 0): void {
    const cellWords = cellWordsOf(shape);
    const cells = base + 2 * WORDS_PER_LINE;
    const mask = shape.capacity - 1;
    for (let i = 0; i < shape.capacity; i++) {
      const position = (startPosition + i) | 0;
      Atomics.store(words, cells + (position & mask) * cellWords, position);
    }
    Atomics.store(words, base, startPosition | 0);
    Atomics.store(words, base + WORDS_PER_LINE, startPosition | 0);
  }

  constructor(words: Int32Array, base: number, shape: RingShape) {
    const { capacity, payloadWords } = shape;
    if (capacity !== nextPowerOfTwo(capacity) || capacity < 2) {
      throw new RangeError(`ring capacity must be a power of two >= 2, got ${capacity}`);
    }
    if (!Number.isInteger(payloadWords) || payloadWords < 1 || payloadWords >= WORDS_PER_LINE) {
      throw new RangeError(
        `ring payload must be 1 to ${WORDS_PER_LINE - 1} words, got ${payloadWords}`,
      );
    }
    this.capacity = capacity;
    this.payloadWords = payloadWords;
    this.#words = words;
    this.#tailIndex = base;
    this.#headIndex = base + WORDS_PER_LINE;
    this.#cellsIndex = base + 2 * WORDS_PER_LINE;
    this.#cellWords = cellWordsOf(shape);
    this.#mask = capacity - 1;
  }

  /** Index in the shared words of the first payload word of the cell at `position`. */
  payloadIndex(position: number): number {
    return this.#cellsIndex + (position & this.#mask) * this.#cellWords + 1;
  }

  /** Pushes one item whose first payload word is `value`; returns false when full. */
  pushWord(value: number): boolean {
    const words = this.#words;
    // A plain read is only a first guess at the tail; the compare-and-swap checks it.
    let pos = words[this.#tailIndex] ?? 0;
    let attempt = 0;
    for (;;) {
      const cell = this.#cellsIndex + (pos & this.#mask) * this.#cellWords;
      const lag = (Atomics.load(words, cell) - pos) | 0;
      if (lag === 0) {
        const seen = Atomics.compareExchange(words, this.#tailIndex, pos, (pos + 1) | 0);
        if (seen === pos) {
          words[cell + 1] = value;
          Atomics.store(words, cell, (pos + 1) | 0);
          return true;
        }
        pos = seen;
      } else {
        if (!this.#mayRetryPush(pos, lag, attempt++)) return false;
        pos = Atomics.load(words, this.#tailIndex);
      }
    }
  }

  /** Pops one item and returns its first payload word, or `EMPTY` (-1) when empty. */
  popWord(): number {
    const words = this.#words;
    // A plain read is only a first guess at the head; the compare-and-swap checks it.
    let pos = words[this.#headIndex] ?? 0;
    let attempt = 0;
    for (;;) {
      const cell = this.#cellsIndex + (pos & this.#mask) * this.#cellWords;
      const lag = (Atomics.load(words, cell) - ((pos + 1) | 0)) | 0;
      if (lag === 0) {
        const seen = Atomics.compareExchange(words, this.#headIndex, pos, (pos + 1) | 0);
        if (seen === pos) {
          const value = words[cell + 1] ?? EMPTY;
          Atomics.store(words, cell, (pos + this.capacity) | 0);
          return value;
        }
        pos = seen;
      } else {
        if (!this.#mayRetryPop(pos, lag, attempt++)) return EMPTY;
        pos = Atomics.load(words, this.#headIndex);
      }
    }
  }

  /**
   * Claims up to `max` consecutive free cells for writing and returns how many it got, 0 when
   * the ring is full. The cells start at `claimedPos`; publish them with `publishPush`.
   */
  claimPush(max: number): number {
    const words = this.#words;
    let pos = Atomics.load(words, this.#tailIndex);
    let attempt = 0;
    for (;;) {
      let count = 0;
      let lag = 0;
      while (count < max) {
        const at = (pos + count) | 0;
        lag = (Atomics.load(words, this.#sequenceIndex(at)) - at) | 0;
        if (lag !== 0) break;
        count++;
      }
      if (count > 0) {
        const seen = Atomics.compareExchange(words, this.#tailIndex, pos, (pos + count) | 0);
        if (seen === pos) {
          this.claimedPos = pos;
          return count;
        }
        pos = seen;
      } else {
        if (!this.#mayRetryPush(pos, lag, attempt++)) return 0;
        pos = Atomics.load(words, this.#tailIndex);
      }
    }
  }

  /** Makes `count` claimed cells from `position` on visible to consumers. */
  publishPush(position: number, count: number): void {
    const words = this.#words;
    for (let i = 0; i < count; i++) {
      const at = (position + i) | 0;
      Atomics.store(words, this.#sequenceIndex(at), (at + 1) | 0);
    }
  }

  /**
   * Claims up to `max` consecutive items for reading and returns how many it got, 0 when the
   * ring is empty. They start at `claimedPos`; hand the cells back with `releasePop`.
   */
  claimPop(max: number): number {
    const words = this.#words;
    let pos = Atomics.load(words, this.#headIndex);
    let attempt = 0;
    for (;;) {
      let count = 0;
      let lag = 0;
      while (count < max) {
        const at = (pos + count) | 0;
        lag = (Atomics.load(words, this.#sequenceIndex(at)) - ((at + 1) | 0)) | 0;
        if (lag !== 0) break;
        count++;
      }
      if (count > 0) {
        const seen = Atomics.compareExchange(words, this.#headIndex, pos, (pos + count) | 0);
        if (seen === pos) {
          this.claimedPos = pos;
          return count;
        }
        pos = seen;
      } else {
        if (!this.#mayRetryPop(pos, lag, attempt++)) return 0;
        pos = Atomics.load(words, this.#headIndex);
      }
    }
  }

  /** Frees `count` popped cells from `position` on for the producers' next lap. */
  releasePop(position: number, count: number): void {
    const words = this.#words;
    for (let i = 0; i < count; i++) {
      const at = (position + i) | 0;
      Atomics.store(words, this.#sequenceIndex(at), (at + this.capacity) | 0);
    }
  }

  /** Items claimed by producers and not yet claimed by consumers; exact only when quiet. */
  get length(): number {
    const tail = Atomics.load(this.#words, this.#tailIndex);
    const head = Atomics.load(this.#words, this.#headIndex);
    return Math.min(this.capacity, Math.max(0, (tail - head) | 0));
  }

  /**
   * Like `length`, from plain reads: for statistics on the hot path, where a racy but cheap
   * figure will do. Exact when the calling thread is the only one using the ring.
   */
  lengthHint(): number {
    const tail = this.#words[this.#tailIndex] ?? 0;
    const head = this.#words[this.#headIndex] ?? 0;
    return Math.min(this.capacity, Math.max(0, (tail - head) | 0));
  }

  /** Whether the next consumer claim would find nothing. */
  isEmpty(): boolean {
    const head = Atomics.load(this.#words, this.#headIndex);
    const seq = Atomics.load(this.#words, this.#sequenceIndex(head));
    return ((seq - ((head + 1) | 0)) | 0) < 0;
  }

  /** Times this thread waited for another thread to finish with a cell. */
  get snoozes(): number {
    return this.#backoff.snoozes;
  }

  /** A producer found the cell at `pos` not free: may it retry, or is the ring full? */
  #mayRetryPush(pos: number, lag: number, attempt: number): boolean {
    if (lag > 0) return true; // another producer took this position; reload the tail
    // The cell still holds last lap's item: the ring is full, or the consumer that claimed it
    // has not released it yet.
    const head = Atomics.load(this.#words, this.#headIndex);
    if (((pos - head) | 0) >= this.capacity) return false;
    this.#backoff.snooze(attempt);
    return true;
  }

  /** A consumer found nothing published at `pos`: may it retry, or is the ring empty? */
  #mayRetryPop(pos: number, lag: number, attempt: number): boolean {
    if (lag > 0) return true; // another consumer took this position; reload the head
    // Nothing published: the ring is empty, or the producer that claimed the cell has not
    // published it yet.
    if (Atomics.load(this.#words, this.#tailIndex) === pos) return false;
    this.#backoff.snooze(attempt);
    return true;
  }

  #sequenceIndex(position: number): number {
    return this.#cellsIndex + (position & this.#mask) * this.#cellWords;
  }
}

/** What `popWord` returns from an empty ring. */
export const EMPTY = -1;

function cellWordsOf(shape: RingShape): number {
  return shape.padded ? WORDS_PER_LINE : 1 + shape.payloadWords;
}
