/**
 * Wall-clock time with nanosecond digits: the epoch milliseconds once at start, then the
 * monotonic high-resolution clock for the rest, so timestamps never go backwards.
 */
export class NanosecondClock {
  readonly #epochNanos: bigint;
  readonly #startHr: bigint;

  constructor(epochMs: number = Date.now(), hrNow: bigint = process.hrtime.bigint()) {
    this.#epochNanos = BigInt(epochMs) * 1_000_000n;
    this.#startHr = hrNow;
  }

  /** RFC 3339, UTC, nine fractional digits: `2024-04-01T18:25:47.237661392Z`. */
  now(hrNow: bigint = process.hrtime.bigint()): string {
    return formatRfc3339Nanos(this.#epochNanos + (hrNow - this.#startHr));
  }
}

export function formatRfc3339Nanos(epochNanos: bigint): string {
  const seconds = epochNanos / 1_000_000_000n;
  const nanos = epochNanos % 1_000_000_000n;
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${nanos.toString().padStart(9, "0")}Z`;
}
