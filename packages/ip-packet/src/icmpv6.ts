import { readU32 } from "./bytes.ts";
import { ICMP_FIELD, ICMP_HEADER_LEN, IcmpHeaderView } from "./icmp-header.ts";
import { Ipv6Packet } from "./ipv6.ts";
import { type WireError, wireError } from "./wire-error.ts";

/**
 * A view of an ICMPv6 message (RFC 4443). `checked()` needs 8 bytes (type, code, checksum and the
 * 4 bytes every message type defines); after that no accessor reads past the view. An error
 * message's `embedded()` is a prefix view of the packet that caused it.
 */
export class Icmpv6Packet extends IcmpHeaderView {
  private constructor(bytes: Uint8Array) {
    super(bytes);
  }

  static checked(bytes: Uint8Array): Icmpv6Packet | WireError {
    if (bytes.length < ICMP_HEADER_LEN) return wireError("truncated");
    return new Icmpv6Packet(bytes);
  }

  static unchecked(bytes: Uint8Array): Icmpv6Packet {
    return new Icmpv6Packet(bytes);
  }

  get isEcho(): boolean {
    const type = this.type;
    return type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply;
  }

  /** Types 0 to 127 are errors. */
  get isError(): boolean {
    return isIcmpv6Error(this.type);
  }

  /** MTU of a "packet too big" message; 0 for other messages. */
  get mtu(): number {
    return this.type === Icmpv6Type.PacketTooBig ? readU32(this.bytes, ICMP_FIELD.REST) : 0;
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
