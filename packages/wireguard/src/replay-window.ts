/**
 * The anti-replay window of RFC 6479, as in wireguard-go's `replay` package: a ring of 128
 * 64-bit blocks covering the last 8128 counters before the highest one seen. Counters are
 * numbers below MAX_COUNTER: the caller refuses any at or above its limit (at most 2^53)
 * first, and checks a counter only after its packet authenticated, so forged packets cannot
 * move the window.
 */

const BLOCK_BITS = 64;
const RING_BLOCKS = 128;
const WORDS_PER_BLOCK = 2;

/** Counters this far behind the highest one seen are still accepted once. */
export const REPLAY_WINDOW_SIZE = (RING_BLOCKS - 1) * BLOCK_BITS;

/** A sliding window of received counters. A new window has seen nothing. */
export class ReplayWindow {
  #last = 0;
  readonly #ring = new Uint32Array(RING_BLOCKS * WORDS_PER_BLOCK);

  /** Accepts and records `counter`, or returns false for a repeat or a stale one. */
  check(counter: number): boolean {
    const block = Math.floor(counter / BLOCK_BITS);
    if (counter > this.#last) {
      const current = Math.floor(this.#last / BLOCK_BITS);
      const advance = Math.min(block - current, RING_BLOCKS);
      for (let i = current + 1; i <= current + advance; i++) {
        const word = (i % RING_BLOCKS) * WORDS_PER_BLOCK;
        this.#ring[word] = 0;
        this.#ring[word + 1] = 0;
      }
      this.#last = counter;
    } else if (this.#last - counter > REPLAY_WINDOW_SIZE) {
      return false;
    }
    const bit = counter % BLOCK_BITS;
    const word = (block % RING_BLOCKS) * WORDS_PER_BLOCK + (bit >>> 5);
    const mask = (1 << (bit & 31)) >>> 0;
    const old = this.#ring[word] ?? 0;
    if ((old & mask) !== 0) return false;
    this.#ring[word] = old | mask;
    return true;
  }
}
