import type { DnsMessage } from "@fz/dns";
import type { RandomSource, Sentinel, Upstream } from "./stub-resolver.ts";

/** A query sent to an upstream under a fresh id, waiting for its answer. */
export interface PendingForward<T> {
  /** The id the upstream sees. */
  readonly id: number;
  /** The original query without its records and EDNS options (they may be views of a reused buffer). */
  readonly query: DnsMessage;
  readonly upstream: Upstream;
  readonly sentinel: Sentinel;
  readonly token: T;
  readonly deadline: number;
}

/** Tries of the random source before taking the next free id after the last draw. */
const RANDOM_TRIES = 8;

/**
 * Forwards in flight, by the id they were sent under. Ids are unique among them. The map's
 * insertion order is deadline order, because deadlines are never allowed to go down: the
 * earliest is always the first entry, so `pollTimeout` is O(1) however many are pending.
 */
export class PendingForwards<T> {
  readonly #byId = new Map<number, PendingForward<T>>();
  readonly #random: RandomSource;
  readonly #draw = new Uint8Array(2);
  #lastDeadline = Number.NEGATIVE_INFINITY;

  constructor(random: RandomSource) {
    this.#random = random;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** A 16-bit id no pending forward uses; the caller keeps fewer than 65536 pending. */
  freeId(): number {
    let id = 0;
    for (let tries = 0; tries < RANDOM_TRIES; tries++) {
      this.#random(this.#draw);
      id = (((this.#draw[0] ?? 0) << 8) | (this.#draw[1] ?? 0)) & 0xffff;
      if (!this.#byId.has(id)) return id;
    }
    // A source that keeps repeating itself (or a crowded table) must not stall the resolver.
    while (this.#byId.has(id)) id = (id + 1) & 0xffff;
    return id;
  }

  /** Adds a forward; its deadline is raised to the previous one's if the clock went back. */
  add(forward: Omit<PendingForward<T>, "deadline">, deadline: number): void {
    this.#lastDeadline = Math.max(this.#lastDeadline, deadline);
    this.#byId.set(forward.id, { ...forward, deadline: this.#lastDeadline });
  }

  get(id: number): PendingForward<T> | undefined {
    return this.#byId.get(id);
  }

  delete(id: number): void {
    this.#byId.delete(id);
  }

  earliestDeadline(): number | undefined {
    for (const forward of this.#byId.values()) return forward.deadline;
    return undefined;
  }

  /** Removes and returns the forwards whose deadline is at or before `now`, oldest first. */
  expire(now: number): PendingForward<T>[] {
    const expired: PendingForward<T>[] = [];
    for (const [id, forward] of this.#byId) {
      if (forward.deadline > now) break;
      this.#byId.delete(id);
      expired.push(forward);
    }
    return expired;
  }
}
