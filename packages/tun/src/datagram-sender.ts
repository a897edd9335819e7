import { ptr } from "bun:ffi";
import { Errno, errno, libc } from "./linux/libc.ts";
import {
  IOVEC_BYTES,
  MMSGHDR_BYTES,
  Msghdr,
  SEGMENT_CMSG_BYTES,
  SEGMENT_CMSG_LENGTH,
  SOCKADDR_IN6_BYTES,
  SOL_UDP,
  sockets,
  UDP_SEGMENT,
} from "./linux/socket-calls.ts";
import { pinnedWords } from "./pinned.ts";

const POLLOUT = 0x004;
const TWO_TO_32 = 4294967296;
/** Segments per GSO send: wireguard-go's cap, and what every kernel with UDP_SEGMENT accepts. */
const MAX_GSO_SEGMENTS = 64;
/** Largest UDP payload of one IPv4 datagram, which a GSO send may not exceed in total. */
const MAX_GSO_BYTES = 65507;

/** Stores a pointer (a number below 2^53) as the two 32-bit halves of a little-endian u64. */
export function setPointer(words: Uint32Array, byteOffset: number, pointer: number): void {
  const index = byteOffset >> 2;
  words[index] = pointer >>> 0;
  words[index + 1] = Math.floor(pointer / TWO_TO_32);
}

/**
 * Sends queued datagrams from wherever they lie in memory with as few `sendmmsg` calls as the
 * kernel allows. With GSO, a run of datagrams to one peer with one size (the last may be
 * shorter, none empty, at most 64 segments and 65,507 bytes) becomes one message whose iovecs
 * point at the datagrams, with a `UDP_SEGMENT` cmsg: the kernel sends them as separate
 * datagrams, still with no copy. A GSO message the kernel refuses (segments past the path MTU:
 * `EINVAL`) is re-sent datagram by datagram; `EIO` (a device that cannot checksum) turns GSO
 * off for good, as wireguard-go does. A datagram the kernel refuses (no route, wrong family) is
 * counted and skipped; the rest go. A full send buffer blocks in poll(): backpressure.
 *
 * Counters are cumulative plain numbers, read by the owner after `flush()`.
 */
export class DatagramSender {
  readonly capacity: number;
  /** Datagrams queued since the last flush. */
  count = 0;
  sent = 0;
  sentBytes = 0;
  sendCalls = 0;
  sendErrors = 0;
  gsoMessages = 0;
  gsoFallbacks = 0;
  #gso: boolean;
  readonly #fd: number;
  readonly #headers: Uint32Array;
  readonly #iovecs: Uint32Array;
  readonly #controls: Uint32Array;
  readonly #segmentSizes: Uint16Array;
  readonly #iovecsPointer: number;
  readonly #headersPointer: number;
  readonly #controlsPointer: number;
  readonly #pollfd: Int32Array;
  readonly #pollPointer: number;
  readonly #names: Float64Array;
  readonly #peers: Float64Array;
  readonly #lengths: Int32Array;
  readonly #messageSegments: Int32Array;
  readonly #messageBytes: Int32Array;

  constructor(fd: number, capacity: number, gso: boolean) {
    this.#fd = fd;
    this.capacity = capacity;
    this.#gso = gso;
    // The kernel reads these through pointers taken once: their memory must never move.
    this.#headers = pinnedWords(capacity * MMSGHDR_BYTES);
    this.#iovecs = pinnedWords(capacity * IOVEC_BYTES);
    this.#controls = pinnedWords(capacity * SEGMENT_CMSG_BYTES);
    this.#segmentSizes = new Uint16Array(this.#controls.buffer);
    this.#headersPointer = ptr(this.#headers);
    this.#iovecsPointer = ptr(this.#iovecs);
    this.#controlsPointer = ptr(this.#controls);
    this.#pollfd = new Int32Array(new ArrayBuffer(8));
    this.#pollfd[0] = fd;
    this.#pollfd[1] = POLLOUT;
    this.#pollPointer = ptr(this.#pollfd);
    this.#names = new Float64Array(capacity);
    this.#peers = new Float64Array(capacity);
    this.#lengths = new Int32Array(capacity);
    this.#messageSegments = new Int32Array(capacity);
    this.#messageBytes = new Int32Array(capacity);
    for (let m = 0; m < capacity; m++) {
      const at = (m * SEGMENT_CMSG_BYTES) >> 2;
      this.#controls[at] = SEGMENT_CMSG_LENGTH;
      this.#controls[at + 2] = SOL_UDP;
      this.#controls[at + 3] = UDP_SEGMENT;
      this.#headers[(m * MMSGHDR_BYTES + Msghdr.NameLength) >> 2] = SOCKADDR_IN6_BYTES;
    }
  }

  /** Whether runs still go out as GSO messages (false after the kernel said EIO). */
  get gso(): boolean {
    return this.#gso;
  }

  /**
   * Queues `length` bytes at `dataPointer` for the socket address record at `namePointer`;
   * datagrams with equal `peer` numbers go to the same address (so they may share a GSO
   * message). The memory must stay untouched until `flush()`. Flushes first when full.
   */
  add(dataPointer: number, length: number, namePointer: number, peer: number): void {
    if (this.count === this.capacity) this.flush();
    const i = this.count++;
    setPointer(this.#iovecs, i * IOVEC_BYTES, dataPointer);
    this.#iovecs[(i * IOVEC_BYTES + 8) >> 2] = length;
    this.#lengths[i] = length;
    this.#names[i] = namePointer;
    this.#peers[i] = peer;
  }

  /** Sends everything queued. */
  flush(): void {
    const total = this.count;
    this.count = 0;
    let singlesUntil = 0;
    for (let next = 0; next < total; ) {
      const messages = this.#layOut(next, total, singlesUntil);
      const done = sockets.sendmmsg(this.#fd, this.#headersPointer, messages, 0);
      this.sendCalls++;
      if (done > 0) {
        for (let m = 0; m < done; m++) {
          const segments = this.#messageSegments[m] ?? 0;
          next += segments;
          this.sent += segments;
          this.sentBytes += this.#messageBytes[m] ?? 0;
          if (segments > 1) this.gsoMessages++;
        }
        continue;
      }
      if (done === 0) {
        this.sendErrors += total - next;
        return;
      }
      const code = errno();
      if (code === Errno.EINTR) continue;
      if (code === Errno.EAGAIN) {
        libc.poll(this.#pollPointer, 1, -1);
        continue;
      }
      // The first message failed. A GSO message is retried as single datagrams; a single one
      // is counted and skipped.
      const segments = this.#messageSegments[0] ?? 1;
      if (segments > 1) {
        if (code === Errno.EIO) {
          this.#gso = false;
          this.gsoFallbacks++;
        }
        singlesUntil = next + segments;
        continue;
      }
      this.sendErrors++;
      next++;
    }
  }

  /** Lays out messages for datagrams `from` onwards; those before `singlesUntil` go alone. */
  #layOut(from: number, total: number, singlesUntil: number): number {
    const headers = this.#headers;
    const lengths = this.#lengths;
    const peers = this.#peers;
    let messages = 0;
    for (let first = from; first < total; ) {
      const size = lengths[first] ?? 0;
      let segments = 1;
      let bytes = size;
      if (this.#gso && first >= singlesUntil && size > 0) {
        const peer = peers[first];
        while (first + segments < total && segments < MAX_GSO_SEGMENTS) {
          const next = lengths[first + segments] ?? 0;
          if (next === 0 || next > size || bytes + next > MAX_GSO_BYTES) break;
          if (peers[first + segments] !== peer) break;
          bytes += next;
          segments++;
          if (next < size) break;
        }
      }
      const at = messages * MMSGHDR_BYTES;
      setPointer(headers, at + Msghdr.Name, this.#names[first] ?? 0);
      setPointer(headers, at + Msghdr.Iov, this.#iovecsPointer + first * IOVEC_BYTES);
      headers[(at + Msghdr.IovLength) >> 2] = segments;
      if (segments > 1) {
        this.#segmentSizes[(messages * SEGMENT_CMSG_BYTES + 16) >> 1] = size;
        setPointer(
          headers,
          at + Msghdr.Control,
          this.#controlsPointer + messages * SEGMENT_CMSG_BYTES,
        );
        headers[(at + Msghdr.ControlLength) >> 2] = SEGMENT_CMSG_BYTES;
      } else {
        setPointer(headers, at + Msghdr.Control, 0);
        headers[(at + Msghdr.ControlLength) >> 2] = 0;
      }
      this.#messageSegments[messages] = segments;
      this.#messageBytes[messages] = bytes;
      messages++;
      first += segments;
    }
    return messages;
  }
}
