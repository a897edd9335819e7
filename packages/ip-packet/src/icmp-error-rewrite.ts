import { readU16, writeU16 } from "./bytes.ts";
import { ICMP_HEADER_LEN } from "./icmp-header.ts";
import { isIcmpv4Error } from "./icmpv4.ts";
import { isIcmpv6Error } from "./icmpv6.ts";
import { applyChecksumDelta } from "./incremental-checksum.ts";
import type { IpAddress, IpPacket } from "./ip-packet.ts";
import { IpProtocol } from "./ip-protocol.ts";
import { Ipv4Packet } from "./ipv4.ts";
import { Ipv6Packet } from "./ipv6.ts";
import { AddressSlot, PortSlot, rewriteFields } from "./rewrite-fields.ts";
import { type WireError, wireError } from "./wire-error.ts";

// Translating an ICMP error back through a NAT means rewriting the packet it embeds: the
// embedded IPv4 header checksum and (when the truncation kept it) the embedded transport
// checksum are patched like any rewrite, and the outer ICMP checksum, which covers all of it,
// takes the sum of every word that changed. The outer addresses are left to rewriteSource*.

/** Replaces the source address of the packet an ICMP error embeds. */
export function rewriteEmbeddedSourceAddress(
  packet: IpPacket,
  address: IpAddress,
): WireError | undefined {
  return rewriteEmbedded(packet, AddressSlot.Source, address, PortSlot.None, 0);
}

/** Replaces the destination address of the packet an ICMP error embeds. */
export function rewriteEmbeddedDestinationAddress(
  packet: IpPacket,
  address: IpAddress,
): WireError | undefined {
  return rewriteEmbedded(packet, AddressSlot.Destination, address, PortSlot.None, 0);
}

/** Replaces the source port (or echo identifier) of the packet an ICMP error embeds. */
export function rewriteEmbeddedSourcePort(packet: IpPacket, port: number): WireError | undefined {
  return rewriteEmbedded(packet, AddressSlot.None, undefined, PortSlot.Source, port);
}

/** Replaces the destination port (or echo identifier) of the packet an ICMP error embeds. */
export function rewriteEmbeddedDestinationPort(
  packet: IpPacket,
  port: number,
): WireError | undefined {
  return rewriteEmbedded(packet, AddressSlot.None, undefined, PortSlot.Destination, port);
}

function rewriteEmbedded(
  packet: IpPacket,
  addressSlot: AddressSlot,
  address: IpAddress | undefined,
  portSlot: PortSlot,
  port: number,
): WireError | undefined {
  const v4 = packet.version === 4;
  if (packet.protocol !== (v4 ? IpProtocol.Icmp : IpProtocol.Icmpv6)) {
    return wireError("wrong-protocol");
  }
  if (!packet.hasTransportHeader) return wireError("not-first-fragment");
  const bytes = packet.bytes;
  const start = packet.headerLen;
  if (bytes.length - start < ICMP_HEADER_LEN) return wireError("truncated");
  const type = bytes[start] ?? 0;
  if (!(v4 ? isIcmpv4Error(type) : isIcmpv6Error(type))) return wireError("not-an-error");
  const inside = bytes.subarray(start + ICMP_HEADER_LEN);
  const embedded = v4 ? Ipv4Packet.checkedPrefix(inside) : Ipv6Packet.checkedPrefix(inside);
  if (!(embedded instanceof Ipv4Packet || embedded instanceof Ipv6Packet)) return embedded;
  const changed = rewriteFields(embedded, addressSlot, address, portSlot, port, true);
  if (typeof changed !== "number") return changed;
  const at = start + 2;
  writeU16(bytes, at, applyChecksumDelta(readU16(bytes, at), changed));
  return undefined;
}
