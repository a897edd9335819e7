import { Icmpv4Packet } from "./icmpv4.ts";
import { Icmpv6Packet } from "./icmpv6.ts";
import type { IpPacket } from "./ip-packet.ts";
import { IpProtocol } from "./ip-protocol.ts";
import { TcpPacket } from "./tcp.ts";
import { UdpPacket } from "./udp.ts";
import { type WireError, wireError } from "./wire-error.ts";

// A fragmented or truncated packet holds only the start of its transport layer, so its views are
// prefix views: the header must be whole, the length may point past the bytes.

/** The UDP view of a packet's transport layer. */
export function asUdp(packet: IpPacket): UdpPacket | WireError {
  if (packet.protocol !== IpProtocol.Udp) return wireError("wrong-protocol");
  if (!packet.hasTransportHeader) return wireError("not-first-fragment");
  const bytes = packet.payload();
  return isPartial(packet) ? UdpPacket.checkedPrefix(bytes) : UdpPacket.checked(bytes);
}

/** The TCP view of a packet's transport layer. */
export function asTcp(packet: IpPacket): TcpPacket | WireError {
  if (packet.protocol !== IpProtocol.Tcp) return wireError("wrong-protocol");
  if (!packet.hasTransportHeader) return wireError("not-first-fragment");
  return TcpPacket.checked(packet.payload());
}

/** The ICMPv4 view of an IPv4 packet's payload. */
export function asIcmpv4(packet: IpPacket): Icmpv4Packet | WireError {
  if (packet.version !== 4 || packet.protocol !== IpProtocol.Icmp) {
    return wireError("wrong-protocol");
  }
  if (!packet.hasTransportHeader) return wireError("not-first-fragment");
  return Icmpv4Packet.checked(packet.payload());
}

/** The ICMPv6 view of an IPv6 packet's upper layer. */
export function asIcmpv6(packet: IpPacket): Icmpv6Packet | WireError {
  if (packet.version !== 6 || packet.protocol !== IpProtocol.Icmpv6) {
    return wireError("wrong-protocol");
  }
  if (!packet.hasTransportHeader) return wireError("not-first-fragment");
  return Icmpv6Packet.checked(packet.payload());
}

/** Whether the packet holds only the start of its transport layer (a fragment, an embedded prefix). */
export function isPartial(packet: IpPacket): boolean {
  return packet.isFragment || packet.isTruncated;
}
