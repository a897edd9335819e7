/**
 * Whether the device is under load, which makes it demand mac2 (cookies) and rate-limit
 * handshakes. wireguard-go looks at its handshake queue (128 or more entries, or so within the
 * last second); a sans-IO device has no queue, so it counts handshake messages in one-second
 * windows instead, and stays under load for a second after a window reached the threshold.
 */
import { UNDER_LOAD_AFTER_TIME_MS } from "./constants.ts";

const WINDOW_MS = 1_000;

/** Counts handshake messages and answers "under load?". */
export class LoadMonitor {
  readonly #threshold: number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #count = 0;
  #underLoadUntil = Number.NEGATIVE_INFINITY;

  /** `threshold`: handshake messages in one second that put the device under load. */
  constructor(threshold: number) {
    this.#threshold = threshold;
  }

  /** Records a handshake message received at `now`. */
  record(now: number): void {
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now;
      this.#count = 0;
    }
    this.#count++;
    if (this.#count >= this.#threshold) this.#underLoadUntil = now + UNDER_LOAD_AFTER_TIME_MS;
  }

  /** True while under load. */
  isUnderLoad(now: number): boolean {
    return now < this.#underLoadUntil;
  }
}
