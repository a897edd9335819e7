import { writeU16 } from "./bytes.ts";
import { foldChecksum, sumWords } from "./checksum.ts";

/**
 * The legacy `struct virtio_net_hdr` (include/uapi/linux/virtio_net.h) that starts every read
 * and write of a TUN device opened with IFF_VNET_HDR: u8 flags, u8 gso_type, then u16 hdr_len,
 * gso_size, csum_start and csum_offset, little-endian (the kernel's tun uses the host's order
 * for the legacy header, and Firezone runs on little-endian hosts).
 */
export const VNET_HDR_BYTES = 10;

/** Flag: the packet's checksum from `csumStart` to the end is left to the reader (CHECKSUM_PARTIAL). */
export const VNET_F_NEEDS_CSUM = 0x01;

/** gso_type: an ordinary packet, no segmentation. */
export const GSO_NONE = 0;
/** gso_type: an IPv4 TCP super-packet to split into segments of `gsoSize` payload bytes. */
export const GSO_TCPV4 = 1;
/** gso_type: an IPv6 TCP super-packet to split into segments of `gsoSize` payload bytes. */
export const GSO_TCPV6 = 4;
/** gso_type bit: the super-packet has CWR set (TCP ECN); mask it off before comparing types. */
export const GSO_ECN = 0x80;

/**
 * A virtio_net_hdr as reusable fields: `read` fills them from bytes, `write` stores them; one
 * instance per reader or writer, no allocation per packet.
 */
export class VnetHeader {
  flags = 0;
  gsoType = GSO_NONE;
  /** Bytes of headers (IP + TCP) in a super-packet; a hint, which Linux may leave short. */
  hdrLen = 0;
  /** Payload bytes per segment of a super-packet. */
  gsoSize = 0;
  /** Where the checksummed range starts, from the start of the IP packet. */
  csumStart = 0;
  /** Where the checksum field is, from `csumStart`. */
  csumOffset = 0;

  /** Reads the header at `bytes[at, at + 10)`; false, fields untouched, if the bytes end first. */
  read(bytes: Uint8Array, at: number): boolean {
    if (!(at >= 0 && at + VNET_HDR_BYTES <= bytes.length)) return false;
    this.flags = bytes[at] ?? 0;
    this.gsoType = bytes[at + 1] ?? 0;
    this.hdrLen = readU16Le(bytes, at + 2);
    this.gsoSize = readU16Le(bytes, at + 4);
    this.csumStart = readU16Le(bytes, at + 6);
    this.csumOffset = readU16Le(bytes, at + 8);
    return true;
  }

  /** Writes the fields at `bytes[at, at + 10)`; false, nothing written, if the bytes end first. */
  write(bytes: Uint8Array, at: number): boolean {
    if (!(at >= 0 && at + VNET_HDR_BYTES <= bytes.length)) return false;
    bytes[at] = this.flags;
    bytes[at + 1] = this.gsoType;
    writeU16Le(bytes, at + 2, this.hdrLen);
    writeU16Le(bytes, at + 4, this.gsoSize);
    writeU16Le(bytes, at + 6, this.csumStart);
    writeU16Le(bytes, at + 8, this.csumOffset);
    return true;
  }
}

/**
 * Finishes the checksum of a NEEDS_CSUM packet in place, as Linux's skb_checksum_help does: the
 * field at `csumStart + csumOffset` holds the pseudo-header sum, so the ones'-complement sum of
 * `packet[csumStart, end)` with that field as it is, complemented, is the checksum. A result of
 * 0 is stored as 0xFFFF (equal in ones' complement, and what UDP needs). False, nothing written,
 * if the field does not lie inside the packet.
 */
export function completePartialChecksum(
  packet: Uint8Array,
  csumStart: number,
  csumOffset: number,
): boolean {
  if (!(Number.isInteger(csumStart) && Number.isInteger(csumOffset))) return false;
  const field = csumStart + csumOffset;
  if (csumStart < 0 || csumOffset < 0 || field + 2 > packet.length) return false;
  const checksum = ~foldChecksum(sumWords(packet, csumStart, packet.length)) & 0xffff;
  writeU16(packet, field, checksum === 0 ? 0xffff : checksum);
  return true;
}

function readU16Le(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}

function writeU16Le(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value;
  bytes[offset + 1] = value >>> 8;
}
