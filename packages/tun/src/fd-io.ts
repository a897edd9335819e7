import { ptr } from "bun:ffi";
import { setPointer } from "./datagram-sender.ts";
import { Errno, errno, errnoName, libc } from "./linux/libc.ts";

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

/** Writes `length` bytes at `pointer` as one packet; false when the kernel refused it. */
export function writePacket(fd: number, pointer: number, length: number): boolean {
  return libc.write(fd, pointer, length) === length;
}

const IOVEC_BYTES = 16;

/**
 * Writes packets each after the same fixed header in one `writev`: a TUN device with
 * IFF_VNET_HDR takes a virtio_net_hdr before every packet (10 zero bytes: no offload asked).
 */
export class HeaderedWriter {
  readonly #header: Uint8Array;
  readonly #iovecs = new Uint32Array((2 * IOVEC_BYTES) / 4);
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
    return libc.writev(fd, this.#iovecsPointer, 2) === this.#header.length + length;
  }
}

/** The name of this thread's last error from a libc call (`EBADFD`, `ECONNREFUSED`, ...). */
export function lastErrorName(): string {
  return errnoName(errno());
}
