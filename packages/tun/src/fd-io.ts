import { ptr } from "bun:ffi";
import { setPointer } from "./datagram-sender.ts";
import { Errno, errno, errnoName, libc } from "./linux/libc.ts";
import { pinnedWords } from "./pinned.ts";

/** `readPacket`: the descriptor has nothing to read now. */
export const WOULD_BLOCK = -1;
/** `readPacket`: the read failed for another reason than EAGAIN. */
export const READ_FAILED = -2;

/**
 * Reads one packet from a non-blocking descriptor (a TUN device gives one IP packet per read)
 * into native memory at `pointer`: its length, `WOULD_BLOCK` or `READ_FAILED`. EINTR retries.
 */
export function readPacket(fd: number, pointer: number, capacity: number): number {
  for (;;) {
    const length = libc.read(fd, pointer, capacity);
    if (length >= 0) return length;
    const code = errno();
    if (code === Errno.EINTR) continue;
    return code === Errno.EAGAIN ? WOULD_BLOCK : READ_FAILED;
  }
}

/**
 * How long a write waits for a full device to take packets again before the packet is dropped:
 * long enough for the kernel to drain a burst, short enough that a stuck device never stalls
 * the data plane for good.
 */
const WRITABLE_WAIT_MS = 100;
const POLLOUT = 0x004;
const pollfd = new Int32Array(new ArrayBuffer(8));
const pollfdPointer = ptr(pollfd);

/**
 * Whether a write that returned `result` should be tried again: EINTR at once, EAGAIN (the
 * device's queue is full, which a burst of writes can do) once poll() says it is writable.
 */
function retryWrite(fd: number, result: number): boolean {
  if (result >= 0) return false;
  const code = errno();
  if (code === Errno.EINTR) return true;
  if (code !== Errno.EAGAIN) return false;
  pollfd[0] = fd;
  pollfd[1] = POLLOUT;
  return libc.poll(pollfdPointer, 1, WRITABLE_WAIT_MS) > 0;
}

/**
 * Writes `length` bytes at `pointer` as one packet; false when the kernel refused it. A full
 * device (EAGAIN) is waited for, as a blocking write would: dropping there loses packets a
 * burst of writes could have delivered a moment later.
 */
export function writePacket(fd: number, pointer: number, length: number): boolean {
  for (;;) {
    const result = libc.write(fd, pointer, length);
    if (!retryWrite(fd, result)) return result === length;
  }
}

const IOVEC_BYTES = 16;

/**
 * Writes packets each after the same fixed header in one `writev`: a TUN device with
 * IFF_VNET_HDR takes a virtio_net_hdr before every packet (10 zero bytes: no offload asked).
 */
export class HeaderedWriter {
  readonly #header: Uint8Array;
  readonly #iovecs = pinnedWords(2 * IOVEC_BYTES);
  readonly #iovecsPointer: number;

  constructor(header: Uint8Array) {
    this.#header = header;
    setPointer(this.#iovecs, 0, ptr(header));
    this.#iovecs[2] = header.length;
    this.#iovecsPointer = ptr(this.#iovecs);
  }

  /** Writes the header and `length` bytes at `pointer` as one packet; false when refused. */
  write(fd: number, pointer: number, length: number): boolean {
    setPointer(this.#iovecs, IOVEC_BYTES, pointer);
    this.#iovecs[6] = length;
    for (;;) {
      const result = libc.writev(fd, this.#iovecsPointer, 2);
      if (!retryWrite(fd, result)) return result === this.#header.length + length;
    }
  }
}

/** The name of this thread's last error from a libc call (`EBADFD`, `ECONNREFUSED`, ...). */
export function lastErrorName(): string {
  return errnoName(errno());
}
