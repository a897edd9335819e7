import { readU16, readU32, writeU16 } from "./bytes.ts";
import { IpProtocol } from "./ip-protocol.ts";
import { type WireError, wireError } from "./wire-error.ts";

/**
 * A view of an IPv6 packet (RFC 8200) over a Uint8Array, zero-copy.
 *
 * `checked()` validates once that the fixed header and the payload length fit the bytes and walks
 * the extension headers (hop-by-hop, routing, fragment, destination options, AH, mobility, HIP,
 * shim6) to the upper layer, with at most MAX_IPV6_EXTENSION_HEADERS of them, each inside the
 * packet. After that no accessor reads past the view's bytes (trimmed to 40 + payload length).
 * In a fragment past the first the walk stops at the fragment header: what follows is data from
 * the middle of the datagram. `checkedPrefix()` accepts a packet cut short after its header
 * chain, as ICMPv6 errors embed them. `unchecked()` trusts the caller and walks lazily.
 */
export class Ipv6Packet {
  #walked = false;
  #protocol = 0;
  #headerLen = IPV6_HEADER_LEN;
  #fragmentHeader = -1;

  private constructor(
    /** The packet, trimmed to 40 + payload length (a prefix view may be shorter). */
    readonly bytes: Uint8Array,
  ) {}

  /** Validates untrusted bytes: header, payload length, extension header chain. */
  static checked(bytes: Uint8Array): Ipv6Packet | WireError {
    return Ipv6Packet.check(bytes, false);
  }

  /** Validates the start of a packet whose header chain is whole but whose payload may be cut short. */
  static checkedPrefix(bytes: Uint8Array): Ipv6Packet | WireError {
    return Ipv6Packet.check(bytes, true);
  }

  /** Wraps bytes without validation, for building into a buffer the caller sized. */
  static unchecked(bytes: Uint8Array): Ipv6Packet {
    return new Ipv6Packet(bytes);
  }

  /** The family of this view. */
  get version(): 6 {
    return 6;
  }

  get trafficClass(): number {
    return (readU16(this.bytes, 0) >>> 4) & 0xff;
  }

  get flowLabel(): number {
    return (((this.bytes[1] ?? 0) & 0x0f) << 16) | readU16(this.bytes, 2);
  }

  /** Bytes after the fixed 40-byte header, extension headers included. */
  get payloadLen(): number {
    return readU16(this.bytes, IPV6_FIELD.PAYLOAD_LEN);
  }

  set payloadLen(len: number) {
    writeU16(this.bytes, IPV6_FIELD.PAYLOAD_LEN, len);
  }

  /** The next-header field of the fixed header (the first extension header, if any). */
  get nextHeader(): number {
    return this.bytes[IPV6_FIELD.NEXT_HEADER] ?? 0;
  }

  set nextHeader(nextHeader: number) {
    this.bytes[IPV6_FIELD.NEXT_HEADER] = nextHeader;
    this.#walked = false;
  }

  get hopLimit(): number {
    return this.bytes[IPV6_FIELD.HOP_LIMIT] ?? 0;
  }

  set hopLimit(hopLimit: number) {
    this.bytes[IPV6_FIELD.HOP_LIMIT] = hopLimit;
  }

  /** Source address: a 16-byte view into the packet. */
  get src(): Uint8Array {
    return this.bytes.subarray(IPV6_FIELD.SRC, IPV6_FIELD.SRC + 16);
  }

  set src(addr: Uint8Array) {
    this.bytes.set(addr.subarray(0, 16), IPV6_FIELD.SRC);
  }

  /** Destination address: a 16-byte view into the packet. */
  get dst(): Uint8Array {
    return this.bytes.subarray(IPV6_FIELD.DST, IPV6_FIELD.DST + 16);
  }

  set dst(addr: Uint8Array) {
    this.bytes.set(addr.subarray(0, 16), IPV6_FIELD.DST);
  }

  /** 40 + payload length. */
  get totalLen(): number {
    return IPV6_HEADER_LEN + this.payloadLen;
  }

  /** The upper-layer protocol after the extension headers (IpProtocol). */
  get protocol(): number {
    if (!this.#walked) this.#walk();
    return this.#protocol;
  }

  /** Fixed header plus extension headers: where the upper layer starts. */
  get headerLen(): number {
    if (!this.#walked) this.#walk();
    return this.#headerLen;
  }

  get hasFragmentHeader(): boolean {
    return this.#fragmentHeaderOffset() >= 0;
  }

  /** Fragment offset in bytes; 0 without a fragment header. */
  get fragmentOffsetBytes(): number {
    const at = this.#fragmentHeaderOffset();
    return at < 0 ? 0 : readU16(this.bytes, at + 2) & 0xfff8;
  }

  get moreFragments(): boolean {
    const at = this.#fragmentHeaderOffset();
    return at >= 0 && (readU16(this.bytes, at + 2) & 1) !== 0;
  }

  /** Fragment identification; 0 without a fragment header. */
  get fragmentId(): number {
    const at = this.#fragmentHeaderOffset();
    return at < 0 ? 0 : readU32(this.bytes, at + 4);
  }

  /** Whether this is one fragment of a larger datagram (an atomic fragment, RFC 6946, is not). */
  get isFragment(): boolean {
    const at = this.#fragmentHeaderOffset();
    return at >= 0 && (readU16(this.bytes, at + 2) & 0xfff9) !== 0;
  }

  /** Whether this is the first fragment of a fragmented datagram (M set, offset zero). */
  get isFirstFragment(): boolean {
    const at = this.#fragmentHeaderOffset();
    return at >= 0 && (readU16(this.bytes, at + 2) & 0xfff9) === 1;
  }

  /** False for fragments past the first, whose payload continues the datagram mid-way: no ports there. */
  get hasTransportHeader(): boolean {
    const at = this.#fragmentHeaderOffset();
    return at < 0 || (readU16(this.bytes, at + 2) & 0xfff8) === 0;
  }

  /** Whether the bytes end before the payload length says (only a prefix view can). */
  get isTruncated(): boolean {
    return this.bytes.length < this.totalLen;
  }

  /** The extension headers between the fixed header and the upper layer. */
  extensionHeaders(): Uint8Array {
    return this.bytes.subarray(IPV6_HEADER_LEN, this.headerLen);
  }

  /** The upper-layer bytes: the whole payload, or what a prefix view holds of it. */
  payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen, this.totalLen);
  }

  #fragmentHeaderOffset(): number {
    if (!this.#walked) this.#walk();
    return this.#fragmentHeader;
  }

  /** Walks the extension headers; on failure the state stops at the header that failed. */
  #walk(): WireError | undefined {
    this.#walked = true;
    const bytes = this.bytes;
    const end = bytes.length;
    let next = bytes[IPV6_FIELD.NEXT_HEADER] ?? 0;
    let offset = IPV6_HEADER_LEN;
    let count = 0;
    let fragment = -1;
    for (;;) {
      this.#protocol = next;
      this.#headerLen = offset;
      this.#fragmentHeader = fragment;
      if (!isIpv6ExtensionHeader(next)) return undefined;
      if (next === IpProtocol.HopByHop && count !== 0) return wireError("bad-extension-header");
      if (++count > MAX_IPV6_EXTENSION_HEADERS) return wireError("too-many-extension-headers");
      if (offset + 8 > end) return wireError("truncated");
      let len: number;
      if (next === IpProtocol.Ipv6Fragment) {
        if (fragment >= 0) return wireError("bad-extension-header");
        fragment = offset;
        len = 8;
      } else if (next === IpProtocol.Ah) {
        len = ((bytes[offset + 1] ?? 0) + 2) * 4;
      } else {
        len = ((bytes[offset + 1] ?? 0) + 1) * 8;
      }
      if (offset + len > end) return wireError("truncated");
      next = bytes[offset] ?? 0;
      offset += len;
      if (fragment === offset - 8 && (readU16(bytes, fragment + 2) & 0xfff8) !== 0) {
        this.#protocol = next;
        this.#headerLen = offset;
        this.#fragmentHeader = fragment;
        return undefined;
      }
    }
  }

  private static check(bytes: Uint8Array, prefix: boolean): Ipv6Packet | WireError {
    if (bytes.length < IPV6_HEADER_LEN) return wireError("truncated");
    if ((bytes[0] ?? 0) >>> 4 !== 6) return wireError("bad-version");
    const totalLen = IPV6_HEADER_LEN + readU16(bytes, IPV6_FIELD.PAYLOAD_LEN);
    if (totalLen > bytes.length && !prefix) return wireError("truncated");
    const packet = new Ipv6Packet(totalLen < bytes.length ? bytes.subarray(0, totalLen) : bytes);
    return packet.#walk() ?? packet;
  }
}

/** Byte offsets of the fixed IPv6 header fields. */
export const IPV6_FIELD = {
  VERSION_CLASS_FLOW: 0,
  PAYLOAD_LEN: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SRC: 8,
  DST: 24,
} as const;

/** Length of the fixed IPv6 header. */
export const IPV6_HEADER_LEN = 40;

/** The most extension headers a checked view walks before it gives up. */
export const MAX_IPV6_EXTENSION_HEADERS = 8;

/** Whether a next-header value names an extension header the walk steps over. */
export function isIpv6ExtensionHeader(nextHeader: number): boolean {
  switch (nextHeader) {
    case IpProtocol.HopByHop:
    case IpProtocol.Ipv6Routing:
    case IpProtocol.Ipv6Fragment:
    case IpProtocol.Ah:
    case IpProtocol.Ipv6DestinationOptions:
    case 135: // mobility
    case 139: // HIP
    case 140: // shim6
      return true;
    default:
      return false;
  }
}
