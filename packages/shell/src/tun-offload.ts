import { ptr } from "bun:ffi";
import {
  completePartialChecksum,
  GSO_ECN,
  GSO_NONE,
  isWireError,
  TcpSegmenter,
  VNET_F_NEEDS_CSUM,
  VNET_HDR_BYTES,
  VnetHeader,
} from "@fz/ip-packet";
import { HeaderedWriter } from "@fz/tun";

/** The largest IP packet a TUN read can hold: a 64 KiB TCP super-packet. */
const MAX_PACKET_BYTES = 65535;

/**
 * A TUN device opened with offloads, as the data plane reads and writes it: each read lands
 * here (virtio_net_hdr + packet), `take` reads the header and says how many packets it makes,
 * `write` copies packet `i` into a slot: the packet itself, its checksum finished if the kernel
 * left it to us, or segment `i` of a TCP super-packet. Writes go out after 10 zero bytes.
 */
export class TunOffload {
  readonly buffer = new Uint8Array(VNET_HDR_BYTES + MAX_PACKET_BYTES);
  readonly pointer = ptr(this.buffer);
  readonly writer = new HeaderedWriter(new Uint8Array(VNET_HDR_BYTES));
  readonly #header = new VnetHeader();
  readonly #segmenter = new TcpSegmenter();
  /** The last read's packet when it needs no segmenting. */
  #plain: Uint8Array | undefined;

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
    const count = this.#segmenter.begin(packet, header.gsoSize);
    return isWireError(count) ? 0 : count;
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
