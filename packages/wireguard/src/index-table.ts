/**
 * Our receiver indices: random 32-bit numbers that peers put in the messages they send us,
 * each naming a handshake in progress or a keypair, and the peer it belongs to.
 */
import { readU32LE } from "./bytes.ts";
import type { RandomSource } from "./crypto/random.ts";
import type { Keypair } from "./keypair.ts";

/** What an index names: a handshake of `peer` (no keypair yet) or one of its keypairs. */
export interface IndexEntry<P> {
  readonly peer: P;
  keypair: Keypair | undefined;
}

/** The table of live indices. Lookups are a Map get. */
export class IndexTable<P> {
  readonly #entries = new Map<number, IndexEntry<P>>();
  readonly #random: RandomSource;
  readonly #scratch = new Uint8Array(4);

  constructor(random: RandomSource) {
    this.#random = random;
  }

  /** Reserves a fresh random index for a handshake of `peer`. */
  reserve(peer: P): number {
    for (;;) {
      this.#random(this.#scratch);
      const index = readU32LE(this.#scratch, 0);
      if (!this.#entries.has(index)) {
        this.#entries.set(index, { peer, keypair: undefined });
        return index;
      }
    }
  }

  /** Points a handshake's index at the keypair it produced. */
  assignKeypair(index: number, keypair: Keypair): void {
    const entry = this.#entries.get(index);
    if (entry !== undefined) entry.keypair = keypair;
  }

  /** The entry of `index`, if it is live. */
  lookup(index: number): IndexEntry<P> | undefined {
    return this.#entries.get(index);
  }

  /** Frees `index`. */
  delete(index: number): void {
    this.#entries.delete(index);
  }

  /** Live indices, for tests and stats. */
  get size(): number {
    return this.#entries.size;
  }
}
