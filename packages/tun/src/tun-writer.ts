import { ptr } from "bun:ffi";
import type { BufferPool } from "@fz/bufferpool";
import { libc } from "./linux/libc.ts";
import type { TunDevice } from "./tun-device.ts";

/**
 * Writes packets from pool slots to the TUN device on the calling thread. A TUN write never
 * waits for the network (the kernel queues the packet on the interface and returns), so the
 * event-loop thread can do it directly: one syscall, no hand-off to a Worker and no wake-up,
 * which saves latency and a thread's memory.
 */
export class TunWriter {
  readonly #fd: number;
  readonly #pool: BufferPool;
  readonly #base: number;
  #written = 0;
  #errors = 0;

  constructor(device: TunDevice, pool: BufferPool) {
    this.#fd = device.fd;
    this.#pool = pool;
    this.#base = ptr(new Uint8Array(pool.buffer));
  }

  /** Writes `length` bytes at `offset` of `slot` as one packet, then gives the slot back. */
  write(slot: number, offset: number, length: number): boolean {
    const ok =
      libc.write(this.#fd, this.#base + this.#pool.offsetOf(slot) + offset, length) === length;
    if (ok) this.#written++;
    else this.#errors++;
    this.#pool.giveBack(slot);
    return ok;
  }

  stats(): { written: number; errors: number } {
    return { written: this.#written, errors: this.#errors };
  }
}
