import { readU16 } from "./bytes.ts";
import { ICMP_HEADER_LEN, IcmpHeaderView } from "./icmp-header.ts";
import { Ipv4Packet } from "./ipv4.ts";
import { type WireError, wireError } from "./wire-error.ts";

/**
 * A view of an ICMPv4 message (RFC 792). `checked()` needs the 8-byte header (type, code,
 * checksum and the 4 bytes every message type defines); after that no accessor reads past the
 * view. An error message's `embedded()` is a prefix view of the packet that caused it.
 */
export class Icmpv4Packet extends IcmpHeaderView {
  private constructor(bytes: Uint8Array) {
    super(bytes);
  }

  static checked(bytes: Uint8Array): Icmpv4Packet | WireError {
    if (bytes.length < ICMP_HEADER_LEN) return wireError("truncated");
    return new Icmpv4Packet(bytes);
  }

  static unchecked(bytes: Uint8Array): Icmpv4Packet {
    return new Icmpv4Packet(bytes);
  }

  get isEcho(): boolean {
    const type = this.type;
    return type === Icmpv4Type.EchoRequest || type === Icmpv4Type.EchoReply;
  }

  get isError(): boolean {
    return isIcmpv4Error(this.type);
  }

  /** Next-hop MTU of a "fragmentation needed" error (RFC 1191); 0 for other messages. */
  get nextHopMtu(): number {
    return this.type === Icmpv4Type.DestinationUnreachable &&
      this.code === Icmpv4UnreachableCode.FragmentationNeeded
      ? readU16(this.bytes, 6)
      : 0;
  }

  /** The packet an error message embeds, as a prefix view; "not-an-error" for other messages. */
  embedded(): Ipv4Packet | WireError {
    if (!this.isError) return wireError("not-an-error");
    return Ipv4Packet.checkedPrefix(this.payload());
  }
}

/** ICMPv4 message types this package names. */
export const Icmpv4Type = {
  EchoReply: 0,
  DestinationUnreachable: 3,
  SourceQuench: 4,
  Redirect: 5,
  EchoRequest: 8,
  TimeExceeded: 11,
  ParameterProblem: 12,
  Timestamp: 13,
  TimestampReply: 14,
} as const;

/** Codes of ICMPv4 destination unreachable (RFC 792, RFC 1812). */
export const Icmpv4UnreachableCode = {
  Network: 0,
  Host: 1,
  Protocol: 2,
  Port: 3,
  FragmentationNeeded: 4,
  AdminProhibited: 13,
} as const;

/** Whether an ICMPv4 type is an error message carrying the invoking packet. */
export function isIcmpv4Error(type: number): boolean {
  return (
    type === Icmpv4Type.DestinationUnreachable ||
    type === Icmpv4Type.SourceQuench ||
    type === Icmpv4Type.Redirect ||
    type === Icmpv4Type.TimeExceeded ||
    type === Icmpv4Type.ParameterProblem
  );
}
