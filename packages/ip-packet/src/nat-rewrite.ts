import type { IpAddress, IpPacket } from "./ip-packet.ts";
import { AddressSlot, PortSlot, rewriteFields } from "./rewrite-fields.ts";
import type { WireError } from "./wire-error.ts";

// In-place NAT rewrites with incremental checksums (RFC 1624): every checksum that covers a
// changed field stays correct, UDP over IPv4 without a checksum (0) keeps none, and a failed
// rewrite (wrong family, a fragment past the first, a protocol without ports) writes nothing.
// "Port" means the TCP or UDP port, or the identifier of an ICMP/ICMPv6 echo request or reply,
// which is what a NAT keys ICMP echo on.

/** Replaces the destination address and port (or echo identifier), as a gateway does outbound. */
export function rewriteDestination(
  packet: IpPacket,
  address: IpAddress,
  port: number,
): WireError | undefined {
  return settle(
    rewriteFields(packet, AddressSlot.Destination, address, PortSlot.Destination, port, false),
  );
}

/** Replaces the source address and port (or echo identifier). */
export function rewriteSource(
  packet: IpPacket,
  address: IpAddress,
  port: number,
): WireError | undefined {
  return settle(rewriteFields(packet, AddressSlot.Source, address, PortSlot.Source, port, false));
}

/** Replaces the destination address only; works on every fragment. */
export function rewriteDestinationAddress(
  packet: IpPacket,
  address: IpAddress,
): WireError | undefined {
  return settle(rewriteFields(packet, AddressSlot.Destination, address, PortSlot.None, 0, false));
}

/** Replaces the source address only; works on every fragment. */
export function rewriteSourceAddress(packet: IpPacket, address: IpAddress): WireError | undefined {
  return settle(rewriteFields(packet, AddressSlot.Source, address, PortSlot.None, 0, false));
}

/** Replaces the destination port (or echo identifier). */
export function rewriteDestinationPort(packet: IpPacket, port: number): WireError | undefined {
  return settle(
    rewriteFields(packet, AddressSlot.None, undefined, PortSlot.Destination, port, false),
  );
}

/** Replaces the source port (or echo identifier). */
export function rewriteSourcePort(packet: IpPacket, port: number): WireError | undefined {
  return settle(rewriteFields(packet, AddressSlot.None, undefined, PortSlot.Source, port, false));
}

/** Replaces the identifier of an ICMP or ICMPv6 echo request or reply. */
export function rewriteIcmpEchoId(packet: IpPacket, id: number): WireError | undefined {
  return settle(rewriteFields(packet, AddressSlot.None, undefined, PortSlot.EchoIdOnly, id, false));
}

function settle(result: number | WireError): WireError | undefined {
  return typeof result === "number" ? undefined : result;
}
