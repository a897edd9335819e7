import { readU16, readU32, writeU16, writeU32 } from "./bytes.ts";
import { ICMP_FIELD, ICMP_HEADER_LEN } from "./icmpv4.ts";
import { Ipv6Packet } from "./ipv6.ts";
import { type WireError, wireError } from "./wire-error.ts";

/**
 * A view of an ICMPv6 message (RFC 4443). `checked()` needs 8 bytes (type, code, checksum and the
 * 4 bytes every message type defines); after that no accessor reads past the view. An error
 * message's `embedded()` is a prefix view of the packet that caused it.
 */
export class Icmpv6Packet {
  private constructor(readonly bytes: Uint8Array) {}

  static checked(bytes: Uint8Array): Icmpv6Packet | WireError {
    if (bytes.length < ICMP_HEADER_LEN) return wireError("truncated");
    return new Icmpv6Packet(bytes);
  }

  static unchecked(bytes: Uint8Array): Icmpv6Packet {
    return new Icmpv6Packet(bytes);
  }

  get type(): number {
    return this.bytes[0] ?? 0;
  }

  set type(type: number) {
    this.bytes[0] = type;
  }

  get code(): number {
    return this.bytes[1] ?? 0;
  }

  set code(code: number) {
    this.bytes[1] = code;
  }

  get checksum(): number {
    return readU16(this.bytes, ICMP_FIELD.CHECKSUM);
  }

  set checksum(checksum: number) {
    writeU16(this.bytes, ICMP_FIELD.CHECKSUM, checksum);
  }

  /** The 4 bytes after the checksum, whose meaning depends on the type. */
  get restOfHeader(): number {
    return readU32(this.bytes, ICMP_FIELD.REST);
  }

  set restOfHeader(rest: number) {
    writeU32(this.bytes, ICMP_FIELD.REST, rest);
  }

  /** Whether this is an echo request or reply, which carry an identifier and a sequence number. */
  get isEcho(): boolean {
    const type = this.type;
    return type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply;
  }

  /** Echo identifier (meaningful when `isEcho`). */
  get echoId(): number {
    return readU16(this.bytes, ICMP_FIELD.ECHO_ID);
  }

  set echoId(id: number) {
    writeU16(this.bytes, ICMP_FIELD.ECHO_ID, id);
  }

  /** Echo sequence number (meaningful when `isEcho`). */
  get echoSeq(): number {
    return readU16(this.bytes, ICMP_FIELD.ECHO_SEQ);
  }

  set echoSeq(seq: number) {
    writeU16(this.bytes, ICMP_FIELD.ECHO_SEQ, seq);
  }

  /** Whether this is an error message (types 0 to 127) that embeds the packet that caused it. */
  get isError(): boolean {
    return isIcmpv6Error(this.type);
  }

  /** MTU of a "packet too big" message; 0 for other messages. */
  get mtu(): number {
    return this.type === Icmpv6Type.PacketTooBig ? readU32(this.bytes, ICMP_FIELD.REST) : 0;
  }

  /** Everything after the 8-byte header. */
  payload(): Uint8Array {
    return this.bytes.subarray(ICMP_HEADER_LEN);
  }

  /** The packet an error message embeds, as a prefix view; "not-an-error" for other messages. */
  embedded(): Ipv6Packet | WireError {
    if (!this.isError) return wireError("not-an-error");
    return Ipv6Packet.checkedPrefix(this.payload());
  }
}

/** ICMPv6 message types this package names. */
export const Icmpv6Type = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
} as const;

/** Codes of ICMPv6 destination unreachable (RFC 4443, 3.1). */
export const Icmpv6UnreachableCode = {
  NoRoute: 0,
  AdminProhibited: 1,
  BeyondScope: 2,
  Address: 3,
  Port: 4,
} as const;

/** Whether an ICMPv6 type is an error message (RFC 4443, 2.1: types 0 to 127). */
export function isIcmpv6Error(type: number): boolean {
  return type < 128;
}
