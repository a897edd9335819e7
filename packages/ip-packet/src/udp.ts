import { readU16, writeU16 } from "./bytes.ts";
import { type WireError, wireError } from "./wire-error.ts";

/**
 * A view of a UDP datagram (RFC 768). `checked()` needs the 8-byte header and a length field
 * between 8 and the bytes at hand (the view is trimmed to it); `checkedPrefix()` lets the length
 * run past the bytes, for first fragments and ICMP errors. No accessor reads past the view.
 */
export class UdpPacket {
  private constructor(readonly bytes: Uint8Array) {}

  static checked(bytes: Uint8Array): UdpPacket | WireError {
    return check(bytes, false);
  }

  static checkedPrefix(bytes: Uint8Array): UdpPacket | WireError {
    return check(bytes, true);
  }

  static unchecked(bytes: Uint8Array): UdpPacket {
    return new UdpPacket(bytes);
  }

  get srcPort(): number {
    return readU16(this.bytes, UDP_FIELD.SRC_PORT);
  }

  set srcPort(port: number) {
    writeU16(this.bytes, UDP_FIELD.SRC_PORT, port);
  }

  get dstPort(): number {
    return readU16(this.bytes, UDP_FIELD.DST_PORT);
  }

  set dstPort(port: number) {
    writeU16(this.bytes, UDP_FIELD.DST_PORT, port);
  }

  /** The length field: header plus payload. */
  get length(): number {
    return readU16(this.bytes, UDP_FIELD.LENGTH);
  }

  set length(len: number) {
    writeU16(this.bytes, UDP_FIELD.LENGTH, len);
  }

  /** The checksum field; 0 means "none" over IPv4. */
  get checksum(): number {
    return readU16(this.bytes, UDP_FIELD.CHECKSUM);
  }

  set checksum(checksum: number) {
    writeU16(this.bytes, UDP_FIELD.CHECKSUM, checksum);
  }

  /** The payload, or what a prefix view holds of it. */
  payload(): Uint8Array {
    return this.bytes.subarray(UDP_HEADER_LEN, this.length);
  }
}

/** Byte offsets of the UDP header fields. */
export const UDP_FIELD = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const;

export const UDP_HEADER_LEN = 8;

function check(bytes: Uint8Array, prefix: boolean): UdpPacket | WireError {
  if (bytes.length < UDP_HEADER_LEN) return wireError("truncated");
  const length = readU16(bytes, UDP_FIELD.LENGTH);
  if (length < UDP_HEADER_LEN) return wireError("bad-length");
  if (length > bytes.length && !prefix) return wireError("truncated");
  return UdpPacket.unchecked(length < bytes.length ? bytes.subarray(0, length) : bytes);
}
