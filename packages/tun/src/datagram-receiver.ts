import { ptr } from "bun:ffi";
import { setPointer } from "./datagram-sender.ts";
import { Errno, errno } from "./linux/libc.ts";
import {
  IOVEC_BYTES,
  MMSGHDR_BYTES,
  MSG_DONTWAIT,
  MSG_TRUNC,
  Msghdr,
  SOCKADDR_IN6_BYTES,
  sockets,
} from "./linux/socket-calls.ts";
import { pinnedWords } from "./pinned.ts";

/** `DatagramReceiver.receive`: the socket is empty. */
export const NOTHING_RECEIVED = 0;

/**
 * Receives up to `capacity` datagrams per `recvmmsg` into buffers the owner arms once: for
 * each message a socket address record (the source lands there) and a data area. The message
 * headers are built once; a receive only resets the address lengths. For an owner that has
 * handled every datagram before the next receive, so the same buffers serve again.
 */
export class DatagramReceiver {
  readonly capacity: number;
  /** Datagrams the kernel cut short (larger than their data area), counted by `length(i)`. */
  truncated = 0;
  receiveCalls = 0;
  receiveErrors = 0;
  readonly #fd: number;
  readonly #headers: Uint32Array;
  readonly #iovecs: Uint32Array;
  readonly #headersPointer: number;

  constructor(fd: number, capacity: number) {
    this.#fd = fd;
    this.capacity = capacity;
    // The kernel reads and writes these through pointers taken once: they must never move.
    this.#headers = pinnedWords(capacity * MMSGHDR_BYTES);
    this.#iovecs = pinnedWords(capacity * IOVEC_BYTES);
    this.#headersPointer = ptr(this.#headers);
    const iovecsPointer = ptr(this.#iovecs);
    for (let i = 0; i < capacity; i++) {
      setPointer(this.#headers, i * MMSGHDR_BYTES + Msghdr.Iov, iovecsPointer + i * IOVEC_BYTES);
      this.#headers[(i * MMSGHDR_BYTES + Msghdr.IovLength) >> 2] = 1;
    }
  }

  /** Points message `index` at a 32-byte address record and a data area of `bytes`. */
  arm(index: number, namePointer: number, dataPointer: number, bytes: number): void {
    setPointer(this.#headers, index * MMSGHDR_BYTES + Msghdr.Name, namePointer);
    setPointer(this.#iovecs, index * IOVEC_BYTES, dataPointer);
    this.#iovecs[(index * IOVEC_BYTES + 8) >> 2] = bytes;
  }

  /**
   * Receives without waiting into messages 0 to `count - 1`; returns how many arrived (0 when
   * the socket is empty or failed: `receiveErrors` counts failures).
   */
  receive(count = this.capacity): number {
    const headers = this.#headers;
    for (let i = 0; i < count; i++) {
      headers[(i * MMSGHDR_BYTES + Msghdr.NameLength) >> 2] = SOCKADDR_IN6_BYTES;
    }
    for (;;) {
      const received = sockets.recvmmsg(this.#fd, this.#headersPointer, count, MSG_DONTWAIT, null);
      if (received >= 0) {
        this.receiveCalls++;
        return received;
      }
      const code = errno();
      if (code === Errno.EINTR) continue;
      if (code !== Errno.EAGAIN) this.receiveErrors++;
      return NOTHING_RECEIVED;
    }
  }

  /**
   * The length of message `index` of the last receive, or -1 when the kernel truncated it
   * (counted in `truncated`: ask once per message).
   */
  length(index: number): number {
    const at = index * MMSGHDR_BYTES;
    if (((this.#headers[(at + Msghdr.Flags) >> 2] ?? 0) & MSG_TRUNC) !== 0) {
      this.truncated++;
      return -1;
    }
    return this.#headers[(at + Msghdr.Length) >> 2] ?? 0;
  }
}
