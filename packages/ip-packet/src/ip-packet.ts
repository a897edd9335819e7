import { Ipv4Packet } from "./ipv4.ts";
import { Ipv6Packet } from "./ipv6.ts";
import { type WireError, wireError } from "./wire-error.ts";

/** A checked or unchecked view of either family; `version` tells them apart. */
export type IpPacket = Ipv4Packet | Ipv6Packet;

/** An IPv4 address as an unsigned 32-bit number, or an IPv6 address as 16 bytes. */
export type IpAddress = number | Uint8Array;

/** Validates untrusted bytes as an IPv4 or IPv6 packet, by the version nibble. */
export function parseIpPacket(bytes: Uint8Array): IpPacket | WireError {
  if (bytes.length === 0) return wireError("truncated");
  const version = (bytes[0] ?? 0) >>> 4;
  if (version === 4) return Ipv4Packet.checked(bytes);
  if (version === 6) return Ipv6Packet.checked(bytes);
  return wireError("bad-version");
}

/** Like parseIpPacket, for a packet cut short after its headers (the one an ICMP error embeds). */
export function parseIpPacketPrefix(bytes: Uint8Array): IpPacket | WireError {
  if (bytes.length === 0) return wireError("truncated");
  const version = (bytes[0] ?? 0) >>> 4;
  if (version === 4) return Ipv4Packet.checkedPrefix(bytes);
  if (version === 6) return Ipv6Packet.checkedPrefix(bytes);
  return wireError("bad-version");
}
