/** What the stress test posts to each worker, and what a worker posts back when done. */
export interface StressJob {
  readonly id: number;
  readonly iterations: number;
  readonly pool: SharedArrayBuffer;
  readonly channel: SharedArrayBuffer;
  /** One word per slot: who holds it by the test's own bookkeeping, independent of the pool. */
  readonly owners: SharedArrayBuffer;
  /** [violations, pushed, popped] */
  readonly counters: SharedArrayBuffer;
}

export interface StressReport {
  readonly id: number;
  readonly poolCycles: number;
  readonly transfers: number;
  readonly exhaustedRetries: number;
}

export const IN_POOL = 0;
export const IN_CHANNEL = -1;
export const Counter = { Violations: 0, Pushed: 1, Popped: 2 } as const;
