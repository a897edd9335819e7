import { readU16, writeU16 } from "./bytes.ts";
import {
  checksumSkippingField,
  checksumVerifies,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
} from "./checksum.ts";
import type { IpPacket } from "./ip-packet.ts";
import { IpProtocol } from "./ip-protocol.ts";
import { IPV6_FIELD } from "./ipv6.ts";

// Full computation over a whole packet: a fragment or a truncated prefix does not hold every
// byte its transport checksum covers, so these return undefined for them.

/**
 * Computes the checksum the transport header (TCP, UDP, ICMPv4, ICMPv6) should carry, pseudo-
 * header included. A UDP checksum that computes to 0 comes back as 0xFFFF (RFC 768).
 */
export function computeTransportChecksum(packet: IpPacket): number | undefined {
  if (!locate(packet)) return undefined;
  const checksum = checksumSkippingField(
    packet.bytes,
    span.start,
    span.end,
    span.start + span.field,
    span.pseudoSum,
  );
  return span.udp && checksum === 0 ? 0xffff : checksum;
}

/**
 * Whether the stored transport checksum verifies. UDP over IPv4 with checksum 0 ("none") counts
 * as valid; over IPv6 it does not (RFC 8200, 8.1).
 */
export function transportChecksumValid(packet: IpPacket): boolean | undefined {
  if (!locate(packet)) return undefined;
  if (span.udp && readU16(packet.bytes, span.start + span.field) === 0) {
    return packet.version === 4;
  }
  return checksumVerifies(packet.bytes, span.start, span.end, span.pseudoSum);
}

/** Computes and stores the transport checksum; false when the packet has none it can compute. */
export function fillTransportChecksum(packet: IpPacket): boolean {
  const checksum = computeTransportChecksum(packet);
  if (checksum === undefined) return false;
  writeU16(packet.bytes, packet.headerLen + span.field, checksum);
  return true;
}

/** Computes and stores every checksum of a whole packet: transport, then the IPv4 header. */
export function fillChecksums(packet: IpPacket): void {
  fillTransportChecksum(packet);
  if (packet.version === 4) packet.fillHeaderChecksum();
}

/** Offset of the checksum field inside the transport header of a protocol, or -1 if it has none there. */
export function transportChecksumField(version: 4 | 6, protocol: number): number {
  switch (protocol) {
    case IpProtocol.Tcp:
      return 16;
    case IpProtocol.Udp:
      return 6;
    case IpProtocol.Icmp:
      return version === 4 ? 2 : -1;
    case IpProtocol.Icmpv6:
      return version === 6 ? 2 : -1;
    default:
      return -1;
  }
}

const span = { start: 0, end: 0, field: 0, pseudoSum: 0, udp: false };

/** Fills `span` for a whole packet's transport checksum; false if there is none to compute. */
function locate(packet: IpPacket): boolean {
  if (packet.isFragment || packet.isTruncated) return false;
  const protocol = packet.protocol;
  const field = transportChecksumField(packet.version, protocol);
  if (field < 0) return false;
  const bytes = packet.bytes;
  const start = packet.headerLen;
  let end = bytes.length;
  if (protocol === IpProtocol.Udp) {
    if (end - start < 8) return false;
    const length = readU16(bytes, start + 4);
    if (length < 8 || start + length > end) return false;
    end = start + length;
  } else if (end - start < (protocol === IpProtocol.Tcp ? 20 : 8)) {
    return false;
  }
  span.start = start;
  span.end = end;
  span.field = field;
  span.udp = protocol === IpProtocol.Udp;
  if (protocol === IpProtocol.Icmp) {
    span.pseudoSum = 0;
  } else if (packet.version === 4) {
    span.pseudoSum = ipv4PseudoHeaderSum(packet.src, packet.dst, protocol, end - start);
  } else {
    span.pseudoSum = ipv6PseudoHeaderSum(
      bytes,
      bytes,
      protocol,
      end - start,
      IPV6_FIELD.SRC,
      IPV6_FIELD.DST,
    );
  }
  return true;
}
