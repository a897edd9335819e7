import { ptr } from "bun:ffi";
import {
  completePartialChecksum,
  GSO_ECN,
  GSO_NONE,
  isWireError,
  TcpCoalescer,
  type TcpCoalescerEmit,
  TcpSegmenter,
  VNET_F_NEEDS_CSUM,
  VNET_HDR_BYTES,
  VnetHeader,
} from "@fz/ip-packet";
import { HeaderedWriter, writePacket } from "@fz/tun";

/** The largest IP packet a TUN read can hold: a 64 KiB TCP super-packet. */
const MAX_PACKET_BYTES = 65535;
/** Opened packets held for merging: one receive batch. */
const MAX_BATCH = 64;

/**
 * A TUN device opened with offloads, as the data plane reads and writes it: each read lands
 * here (virtio_net_hdr + packet), `take` reads the header and says how many packets it makes,
 * `write` copies packet `i` into a slot: the packet itself, its checksum finished if the kernel
 * left it to us, or segment `i` of a TCP super-packet. Writes go out after 10 zero bytes.
 */
export class TunOffload {
  // Every buffer here is reached through a pointer taken once: ArrayBuffer-backed, so that its
  // memory never moves (a small typed array made with a length alone may).
  readonly buffer = new Uint8Array(new ArrayBuffer(VNET_HDR_BYTES + MAX_PACKET_BYTES));
  readonly pointer = ptr(this.buffer);
  readonly writer = new HeaderedWriter(new Uint8Array(new ArrayBuffer(VNET_HDR_BYTES)));
  readonly #header = new VnetHeader();
  /** Where a run of one flow's segments is merged before its one write. */
  readonly #merged = new Uint8Array(new ArrayBuffer(VNET_HDR_BYTES + MAX_PACKET_BYTES));
  readonly #mergedPointer = ptr(this.#merged);
  readonly #coalescer = new TcpCoalescer(this.#merged, MAX_BATCH);
  readonly #segmenter = new TcpSegmenter();
  /** The last read's packet when it needs no segmenting. */
  #plain: Uint8Array | undefined;

  /** TUN writes of opened packets, and the packets that went out inside merged ones. */
  get writes(): { readonly writes: number; readonly mergedPackets: number } {
    return { writes: this.#coalescer.writesOut, mergedPackets: this.#coalescer.packetsMerged };
  }

  /** Whether the last read was a super-packet to cut into segments. */
  get segmented(): boolean {
    return this.#plain === undefined;
  }

  /** Reads the header of the `length` bytes just read: the packets they make, 0 if malformed. */
  take(length: number): number {
    this.#plain = undefined;
    if (length <= VNET_HDR_BYTES) return 0;
    const header = this.#header;
    header.read(this.buffer, 0);
    const packet = this.buffer.subarray(VNET_HDR_BYTES, length);
    if ((header.gsoType & ~GSO_ECN) === GSO_NONE) {
      if (
        (header.flags & VNET_F_NEEDS_CSUM) !== 0 &&
        !completePartialChecksum(packet, header.csumStart, header.csumOffset)
      ) {
        return 0;
      }
      this.#plain = packet;
      return 1;
    }
    // csum_start is where the kernel put TCP: past any IPv6 extension headers.
    const count = this.#segmenter.begin(packet, header.gsoSize, header.csumStart);
    return isWireError(count) ? 0 : count;
  }

  /**
   * Holds an opened packet for the batch's TUN writes (its bytes must stay put until `flush`);
   * false when the batch is full.
   */
  hold(packet: Uint8Array): boolean {
    return this.#coalescer.add(packet);
  }

  /**
   * Writes the held packets to `fd`: each run of one TCP flow's segments as one super-packet,
   * the rest one by one. Returns the writes the device refused.
   */
  flush(fd: number, pointerOf: (bytes: Uint8Array) => number): number {
    this.#flushFd = fd;
    this.#pointerOf = pointerOf;
    this.#refused = 0;
    this.#coalescer.flush(this.#emit);
    return this.#refused;
  }

  #flushFd = -1;
  #pointerOf: (bytes: Uint8Array) => number = () => 0;
  #refused = 0;
  readonly #emit: TcpCoalescerEmit = (bytes, merged, length) => {
    const written = merged
      ? writePacket(this.#flushFd, this.#mergedPointer, length)
      : this.writer.write(this.#flushFd, this.#pointerOf(bytes), length);
    if (written) return;
    this.#refused++;
    // A kernel that refuses our super-packets would refuse every retransmission merged again:
    // from now on, packets go one by one.
    if (merged) this.#merging = false;
  };

  #merging = true;

  /** False once the device refused a merged write: opened packets are then written at once. */
  get merging(): boolean {
    return this.#merging;
  }

  /** Copies packet `index` of the last read into `out`: its length, or 0 if it does not fit. */
  write(index: number, out: Uint8Array): number {
    const plain = this.#plain;
    if (plain === undefined) return Math.max(0, this.#segmenter.write(index, out));
    if (plain.length > out.length) return 0;
    out.set(plain);
    return plain.length;
  }
}
