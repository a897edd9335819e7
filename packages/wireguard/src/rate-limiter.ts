/**
 * The per-source-IP token bucket that wireguard-go applies to handshake messages under load
 * (`ratelimiter/ratelimiter.go`): 20 messages a second with a burst of 5. Entries idle for a
 * second are swept, lazily, on the next call a second or more after the previous sweep.
 */
import { RATE_LIMIT_BURST, RATE_LIMIT_PACKETS_PER_SECOND } from "./constants.ts";

const PACKET_COST_MS = 1000 / RATE_LIMIT_PACKETS_PER_SECOND;
const MAX_TOKENS_MS = PACKET_COST_MS * RATE_LIMIT_BURST;
const SWEEP_AFTER_MS = 1000;

interface Bucket {
  tokens: number;
  lastTime: number;
}

/** Token buckets keyed by source address. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  #lastSweep = Number.NEGATIVE_INFINITY;

  /** Takes a token for `address` at `now`; false when its bucket is empty. */
  allow(address: string, now: number): boolean {
    if (now - this.#lastSweep >= SWEEP_AFTER_MS) this.#sweep(now);
    const bucket = this.#buckets.get(address);
    if (bucket === undefined) {
      this.#buckets.set(address, { tokens: MAX_TOKENS_MS - PACKET_COST_MS, lastTime: now });
      return true;
    }
    bucket.tokens = Math.min(MAX_TOKENS_MS, bucket.tokens + (now - bucket.lastTime));
    bucket.lastTime = now;
    if (bucket.tokens <= PACKET_COST_MS) return false;
    bucket.tokens -= PACKET_COST_MS;
    return true;
  }

  /** Sources with a bucket, for tests and stats. */
  get size(): number {
    return this.#buckets.size;
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [address, bucket] of this.#buckets) {
      if (now - bucket.lastTime > SWEEP_AFTER_MS) this.#buckets.delete(address);
    }
  }
}
