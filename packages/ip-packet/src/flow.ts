import { readU16 } from "./bytes.ts";
import { Icmpv4Type } from "./icmpv4.ts";
import { Icmpv6Type } from "./icmpv6.ts";
import type { IpPacket } from "./ip-packet.ts";
import { IpProtocol } from "./ip-protocol.ts";

// The fields a NAT table or a filter keys on, read straight from the bytes without a transport
// view. They need only the first 4 (ports) or 8 (echo) transport bytes, so they work on the
// prefix an ICMP error embeds as well as on whole packets.

/** The TCP or UDP source port; undefined for other protocols and for fragments past the first. */
export function sourcePortOf(packet: IpPacket): number | undefined {
  const at = portsAt(packet);
  return at < 0 ? undefined : readU16(packet.bytes, at);
}

/** The TCP or UDP destination port; undefined for other protocols and for fragments past the first. */
export function destinationPortOf(packet: IpPacket): number | undefined {
  const at = portsAt(packet);
  return at < 0 ? undefined : readU16(packet.bytes, at + 2);
}

/** The identifier of an ICMP or ICMPv6 echo request or reply; undefined for anything else. */
export function icmpEchoIdOf(packet: IpPacket): number | undefined {
  const at = echoAt(packet);
  return at < 0 ? undefined : readU16(packet.bytes, at + 4);
}

/** The sequence number of an ICMP or ICMPv6 echo request or reply; undefined for anything else. */
export function icmpEchoSeqOf(packet: IpPacket): number | undefined {
  const at = echoAt(packet);
  return at < 0 ? undefined : readU16(packet.bytes, at + 6);
}

/** Offset of the port pair in the packet's bytes, or -1. */
function portsAt(packet: IpPacket): number {
  const protocol = packet.protocol;
  if (protocol !== IpProtocol.Tcp && protocol !== IpProtocol.Udp) return -1;
  if (!packet.hasTransportHeader) return -1;
  const at = packet.headerLen;
  return at + 4 <= packet.bytes.length ? at : -1;
}

/** Offset of an echo message in the packet's bytes, or -1. */
function echoAt(packet: IpPacket): number {
  if (!packet.hasTransportHeader) return -1;
  const at = packet.headerLen;
  if (at + 8 > packet.bytes.length) return -1;
  const type = packet.bytes[at];
  if (packet.version === 4) {
    if (packet.protocol !== IpProtocol.Icmp) return -1;
    return type === Icmpv4Type.EchoRequest || type === Icmpv4Type.EchoReply ? at : -1;
  }
  if (packet.protocol !== IpProtocol.Icmpv6) return -1;
  return type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply ? at : -1;
}
