import type { NatFlow } from "./nat-flow.ts";

/** How long the flow of a fragmented datagram is remembered after its first fragment. */
export const FRAGMENT_MEMORY_MS = 30_000;
/** Datagrams remembered at most per direction; the oldest make room. */
export const MAX_REMEMBERED_DATAGRAMS = 4096;

interface Remembered {
  readonly flow: NatFlow;
  readonly expiresAt: number;
}

/**
 * Which flow a fragmented datagram belongs to, learned from its first fragment (the only one
 * with ports) so that later fragments, which carry only addresses, follow the same flow. Keys
 * name the datagram: protocol, both addresses and the fragment identification. The map's
 * insertion order is expiry order, because expiry times are never allowed to go down.
 */
export class FragmentMemory {
  readonly #byDatagram = new Map<string, Remembered>();
  #lastExpiry = Number.NEGATIVE_INFINITY;

  remember(key: string, flow: NatFlow, now: number): void {
    this.#lastExpiry = Math.max(this.#lastExpiry, now + FRAGMENT_MEMORY_MS);
    this.#byDatagram.delete(key);
    this.#byDatagram.set(key, { flow, expiresAt: this.#lastExpiry });
    if (this.#byDatagram.size > MAX_REMEMBERED_DATAGRAMS) {
      for (const oldest of this.#byDatagram.keys()) {
        this.#byDatagram.delete(oldest);
        break;
      }
    }
  }

  /** The live flow of a datagram whose first fragment was seen less than FRAGMENT_MEMORY_MS ago. */
  flowOf(key: string, now: number): NatFlow | undefined {
    const remembered = this.#byDatagram.get(key);
    if (remembered === undefined || remembered.expiresAt <= now || remembered.flow.removed) {
      return undefined;
    }
    return remembered.flow;
  }

  /** Drops what has expired; nothing waits on it, so it runs whenever the owner wakes anyway. */
  expire(now: number): void {
    for (const [key, remembered] of this.#byDatagram) {
      if (remembered.expiresAt > now) return;
      this.#byDatagram.delete(key);
    }
  }
}
