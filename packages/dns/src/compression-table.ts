/**
 * Where the name suffixes already written in a message start, keyed by a hash of their
 * lowercased labels: an open-addressing table of numbers, so recording and finding suffixes
 * allocates nothing. Entries are candidates only; the encoder confirms each by comparing bytes.
 * Clearing is a generation bump, so a new message costs nothing either.
 */
export class CompressionTable {
  readonly #hashes = new Int32Array(SLOTS);
  readonly #offsets = new Int32Array(SLOTS);
  readonly #generations = new Uint32Array(SLOTS);
  #generation = 1;
  #count = 0;

  /** Forgets every entry. */
  clear(): void {
    this.#count = 0;
    if (++this.#generation === 0xffffffff) {
      this.#generations.fill(0);
      this.#generation = 1;
    }
  }

  /** Records that a suffix with this hash starts at `offset`; ignored once the table is full. */
  add(hash: number, offset: number): void {
    if (this.#count >= MAX_ENTRIES) return;
    let slot = hash & MASK;
    while (this.#generations[slot] === this.#generation) slot = (slot + 1) & MASK;
    this.#hashes[slot] = hash;
    this.#offsets[slot] = offset;
    this.#generations[slot] = this.#generation;
    this.#count++;
  }

  /**
   * The next slot at or after probe position `probe` (start at `firstProbe(hash)`, continue at
   * `nextProbe(slot)`) whose entry has this hash, or -1 when there is none.
   */
  find(hash: number, probe: number): number {
    let slot = probe;
    while (this.#generations[slot] === this.#generation) {
      if (this.#hashes[slot] === hash) return slot;
      slot = (slot + 1) & MASK;
    }
    return -1;
  }

  /** Where probing for `hash` starts. */
  firstProbe(hash: number): number {
    return hash & MASK;
  }

  /** The probe position after `slot`. */
  nextProbe(slot: number): number {
    return (slot + 1) & MASK;
  }

  /** The offset stored in `slot`. */
  offsetAt(slot: number): number {
    return this.#offsets[slot] ?? -1;
  }
}

// Pointers reach only the first 16 KiB, where at most 8192 labels can start; beyond 3/4 load
// the table stops growing and later names are simply written in full.
const SLOTS = 8192;
const MASK = SLOTS - 1;
const MAX_ENTRIES = (SLOTS * 3) / 4;
