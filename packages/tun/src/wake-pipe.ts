import { ptr } from "bun:ffi";
import { errno, errnoName, libc, O_CLOEXEC, O_NONBLOCK } from "./linux/libc.ts";

/**
 * A pipe whose read end a thread sleeping in poll() watches: writing a byte wakes it. Both
 * ends are non-blocking, so a wake never blocks the writer and a drain never blocks the reader.
 */
export class WakePipe {
  readonly readFd: number;
  readonly #writeFd: number;
  readonly #byte = Uint8Array.of(1);
  #closed = false;

  /** Throws `fail(message)` when the kernel gives no pipe. */
  constructor(fail: (message: string) => Error) {
    const pipe = new Int32Array(2);
    if (libc.pipe2(ptr(pipe), O_CLOEXEC | O_NONBLOCK) < 0) {
      throw fail(`pipe2 for a wake-up failed: ${errnoName(errno())}`);
    }
    this.readFd = pipe[0] ?? -1;
    this.#writeFd = pipe[1] ?? -1;
  }

  wake(): void {
    if (!this.#closed) libc.write(this.#writeFd, ptr(this.#byte), 1);
  }

  /** Empties the pipe from the reading side, by descriptor (the reader may be another thread). */
  static drain(readFd: number, buffer: Uint8Array): void {
    while (libc.read(readFd, ptr(buffer), buffer.length) === buffer.length) {}
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc.close(this.readFd);
    libc.close(this.#writeFd);
  }
}
