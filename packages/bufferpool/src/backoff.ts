/** Re-checks this often before it starts sleeping. */
const SPINS_BEFORE_SLEEP = 8;
/** Short enough to come back soon; long enough for the kernel to run the thread we wait for. */
const SLEEP_MS = 0.02;

/**
 * Waits out another thread that is between its claim and its publish in a ring cell. When that
 * thread was preempted, re-checking on a busy core only burns the time it needs, so after a few
 * quick re-checks this sleeps briefly and lets the kernel run it. Only the contended slow path
 * comes here; an uncontended take or give-back never does.
 */
export class Backoff {
  #snoozes = 0;
  readonly #sleeper = new Int32Array(new SharedArrayBuffer(4));

  /** Waits before retry number `attempt` (from 0) of one operation. */
  snooze(attempt: number): void {
    this.#snoozes++;
    if (attempt < SPINS_BEFORE_SLEEP) return;
    Atomics.wait(this.#sleeper, 0, 0, SLEEP_MS);
  }

  /** Times this thread had to wait for another, for tests and statistics. */
  get snoozes(): number {
    return this.#snoozes;
  }
}
