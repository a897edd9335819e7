import { ptr } from "bun:ffi";
import { Errno, errno, libc, POLLIN } from "./linux/libc.ts";

/** poll() failed for another reason than a signal. */
export class PollError extends Error {
  readonly _tag = "PollError";
  constructor(code: number) {
    super(`poll() failed with errno ${code}`);
    this.name = "PollError";
  }
}

/**
 * Sleeps in one poll() on a fixed set of descriptors until one is readable or the timeout
 * passes: the single wait of a data-plane thread that owns all of its descriptors.
 */
export class Poller {
  readonly #fds: Int32Array;
  readonly #pointer: number;
  readonly #count: number;

  constructor(fds: readonly number[]) {
    this.#count = fds.length;
    // poll() reads and writes it through a pointer taken once: its memory must never move.
    this.#fds = new Int32Array(new ArrayBuffer(fds.length * 8));
    fds.forEach((fd, i) => {
      this.#fds[i * 2] = fd;
      this.#fds[i * 2 + 1] = POLLIN;
    });
    this.#pointer = ptr(this.#fds);
  }

  /**
   * Waits up to `timeoutMs` (-1: no limit) and returns how many descriptors are ready (0 on
   * timeout or a signal). Throws `PollError` when poll() itself fails.
   */
  wait(timeoutMs: number): number {
    const ready = libc.poll(this.#pointer, this.#count, timeoutMs);
    if (ready >= 0) return ready;
    const code = errno();
    if (code === Errno.EINTR) return 0;
    throw new PollError(code);
  }

  /** Whether descriptor `index` reported readable, hung up or in error in the last wait. */
  ready(index: number): boolean {
    return (this.#fds[index * 2 + 1] ?? 0) >>> 16 !== 0;
  }
}
