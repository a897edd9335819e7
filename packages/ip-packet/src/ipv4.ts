import { readU16, readU32, writeU16, writeU32 } from "./bytes.ts";
import { checksumSkippingField, checksumVerifies } from "./checksum.ts";
import { type WireError, wireError } from "./wire-error.ts";

/**
 * A view of an IPv4 packet (RFC 791) over a Uint8Array, zero-copy.
 *
 * `checked()` validates once that the header and the total length fit the bytes; after that no
 * accessor reads past the view's bytes (trimmed to the total length). `checkedPrefix()` accepts a
 * packet cut short after a whole header, as ICMP errors embed them. `unchecked()` trusts the
 * caller: for emitting into a buffer the caller sized. Setters write the field only; checksums
 * follow through `fillHeaderChecksum()` or the rewrite helpers.
 */
export class Ipv4Packet {
  private constructor(
    /** The packet: header and payload, trimmed to the total length (a prefix view may be shorter). */
    readonly bytes: Uint8Array,
  ) {}

  /** Validates untrusted bytes: a whole header, a total length that fits. */
  static checked(bytes: Uint8Array): Ipv4Packet | WireError {
    return check(bytes, false);
  }

  /** Validates the start of a packet whose header is whole but whose payload may be cut short. */
  static checkedPrefix(bytes: Uint8Array): Ipv4Packet | WireError {
    return check(bytes, true);
  }

  /** Wraps bytes without validation, for building into a buffer the caller sized. */
  static unchecked(bytes: Uint8Array): Ipv4Packet {
    return new Ipv4Packet(bytes);
  }

  /** The family of this view. */
  get version(): 4 {
    return 4;
  }

  /** Header length in bytes, options included (IHL * 4). */
  get headerLen(): number {
    return ((this.bytes[IPV4_FIELD.VERSION_IHL] ?? 0) & 0x0f) * 4;
  }

  set headerLen(len: number) {
    this.bytes[IPV4_FIELD.VERSION_IHL] = 0x40 | ((len >>> 2) & 0x0f);
  }

  /** Differentiated services code point (the upper six bits of the old TOS byte). */
  get dscp(): number {
    return (this.bytes[IPV4_FIELD.DSCP_ECN] ?? 0) >>> 2;
  }

  /** Explicit congestion notification bits. */
  get ecn(): number {
    return (this.bytes[IPV4_FIELD.DSCP_ECN] ?? 0) & 0x03;
  }

  get totalLen(): number {
    return readU16(this.bytes, IPV4_FIELD.TOTAL_LEN);
  }

  set totalLen(len: number) {
    writeU16(this.bytes, IPV4_FIELD.TOTAL_LEN, len);
  }

  get ident(): number {
    return readU16(this.bytes, IPV4_FIELD.IDENT);
  }

  set ident(ident: number) {
    writeU16(this.bytes, IPV4_FIELD.IDENT, ident);
  }

  get dontFragment(): boolean {
    return ((this.bytes[IPV4_FIELD.FLAGS_FRAGMENT] ?? 0) & 0x40) !== 0;
  }

  get moreFragments(): boolean {
    return ((this.bytes[IPV4_FIELD.FLAGS_FRAGMENT] ?? 0) & 0x20) !== 0;
  }

  /** Fragment offset in bytes (the field counts 8-byte units). */
  get fragmentOffsetBytes(): number {
    return (readU16(this.bytes, IPV4_FIELD.FLAGS_FRAGMENT) & 0x1fff) * 8;
  }

  /** Sets the flags (DF, MF) and the fragment offset in bytes (a multiple of 8). */
  setFragment(dontFragment: boolean, moreFragments: boolean, offsetBytes: number): void {
    const word =
      (dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0) | ((offsetBytes >>> 3) & 0x1fff);
    writeU16(this.bytes, IPV4_FIELD.FLAGS_FRAGMENT, word);
  }

  /** Whether this is one fragment of a larger datagram (MF set or a non-zero offset). */
  get isFragment(): boolean {
    return (readU16(this.bytes, IPV4_FIELD.FLAGS_FRAGMENT) & 0x3fff) !== 0;
  }

  /** Whether this is the first fragment of a fragmented datagram (MF set, offset zero). */
  get isFirstFragment(): boolean {
    return (readU16(this.bytes, IPV4_FIELD.FLAGS_FRAGMENT) & 0x3fff) === 0x2000;
  }

  /** False for fragments past the first, whose payload continues the datagram mid-way: no ports there. */
  get hasTransportHeader(): boolean {
    return (readU16(this.bytes, IPV4_FIELD.FLAGS_FRAGMENT) & 0x1fff) === 0;
  }

  get ttl(): number {
    return this.bytes[IPV4_FIELD.TTL] ?? 0;
  }

  set ttl(ttl: number) {
    this.bytes[IPV4_FIELD.TTL] = ttl;
  }

  /** The transport protocol number (IpProtocol). */
  get protocol(): number {
    return this.bytes[IPV4_FIELD.PROTOCOL] ?? 0;
  }

  set protocol(protocol: number) {
    this.bytes[IPV4_FIELD.PROTOCOL] = protocol;
  }

  get checksum(): number {
    return readU16(this.bytes, IPV4_FIELD.CHECKSUM);
  }

  set checksum(checksum: number) {
    writeU16(this.bytes, IPV4_FIELD.CHECKSUM, checksum);
  }

  /** Source address as an unsigned 32-bit number. */
  get src(): number {
    return readU32(this.bytes, IPV4_FIELD.SRC);
  }

  set src(addr: number) {
    writeU32(this.bytes, IPV4_FIELD.SRC, addr);
  }

  /** Destination address as an unsigned 32-bit number. */
  get dst(): number {
    return readU32(this.bytes, IPV4_FIELD.DST);
  }

  set dst(addr: number) {
    writeU32(this.bytes, IPV4_FIELD.DST, addr);
  }

  /** Whether the bytes end before the total length says (only a prefix view can). */
  get isTruncated(): boolean {
    return this.bytes.length < this.totalLen;
  }

  /** The options between the fixed header and the payload. */
  options(): Uint8Array {
    return this.bytes.subarray(IPV4_HEADER_LEN, this.headerLen);
  }

  /** The transport bytes: the whole payload, or what a prefix view holds of it. */
  payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen, this.totalLen);
  }

  /** Computes the header checksum this header should carry. */
  computeHeaderChecksum(): number {
    return checksumSkippingField(this.bytes, 0, this.headerLen, IPV4_FIELD.CHECKSUM);
  }

  /** Whether the stored header checksum is correct. */
  headerChecksumValid(): boolean {
    return checksumVerifies(this.bytes, 0, this.headerLen);
  }

  /** Computes and stores the header checksum. */
  fillHeaderChecksum(): void {
    this.checksum = this.computeHeaderChecksum();
  }
}

/** Byte offsets of the IPv4 header fields. */
export const IPV4_FIELD = {
  VERSION_IHL: 0,
  DSCP_ECN: 1,
  TOTAL_LEN: 2,
  IDENT: 4,
  FLAGS_FRAGMENT: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
} as const;

/** Length of an IPv4 header without options. */
export const IPV4_HEADER_LEN = 20;

/** Length of an IPv4 header with the most options IHL can count. */
export const IPV4_MAX_HEADER_LEN = 60;

function check(bytes: Uint8Array, prefix: boolean): Ipv4Packet | WireError {
  if (bytes.length < IPV4_HEADER_LEN) return wireError("truncated");
  const first = bytes[0] ?? 0;
  if (first >>> 4 !== 4) return wireError("bad-version");
  const headerLen = (first & 0x0f) * 4;
  if (headerLen < IPV4_HEADER_LEN) return wireError("bad-header-len");
  if (headerLen > bytes.length) return wireError("truncated");
  const totalLen = readU16(bytes, IPV4_FIELD.TOTAL_LEN);
  if (totalLen < headerLen) return wireError("bad-length");
  if (totalLen > bytes.length && !prefix) return wireError("truncated");
  return Ipv4Packet.unchecked(totalLen < bytes.length ? bytes.subarray(0, totalLen) : bytes);
}
