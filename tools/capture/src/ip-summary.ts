/**
 * Just enough IPv4/IPv6/UDP/TCP parsing to sort captured packets: trim link-layer padding,
 * find the transport header behind IPv6 extension headers, and pull out DNS payloads.
 * This is tooling, not the codec under test: @fz/ip-packet is checked against its output.
 */

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

const IPV6_HEADER_BYTES = 40;
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_DESTINATION_OPTIONS = 60;

/** ICMPv6 types that only serve the link: MLD (130-132, 143) and neighbour discovery (133-137). */
const LINK_ONLY_ICMPV6_TYPES = new Set([130, 131, 132, 133, 134, 135, 136, 137, 143]);

export interface TransportSegment {
  readonly protocol: "udp" | "tcp";
  readonly srcPort: number;
  readonly dstPort: number;
  /** TCP only (0 for UDP): sequence number and flags byte. */
  readonly seq: number;
  readonly flags: number;
  readonly payload: Uint8Array;
}

export interface IpSummary {
  readonly version: 4 | 6;
  readonly src: string;
  readonly dst: string;
  /** The upper-layer protocol (after IPv6 extension headers). */
  readonly protocol: number;
  /** True for a fragment that does not start at offset 0: it carries no transport header. */
  readonly laterFragment: boolean;
  readonly icmpType: number | undefined;
  readonly transport: TransportSegment | undefined;
}

/** Cuts a packet to the length its IP header declares, dropping Ethernet padding. */
export function trimToIpLength(packet: Uint8Array): Uint8Array | undefined {
  const version = (packet[0] ?? 0) >> 4;
  if (version === 4 && packet.byteLength >= 20) {
    const totalLength = readUint16(packet, 2);
    return totalLength <= packet.byteLength ? packet.subarray(0, totalLength) : undefined;
  }
  if (version === 6 && packet.byteLength >= IPV6_HEADER_BYTES) {
    const totalLength = IPV6_HEADER_BYTES + readUint16(packet, 4);
    return totalLength <= packet.byteLength ? packet.subarray(0, totalLength) : undefined;
  }
  return undefined;
}

/** Parses the headers of a whole (trimmed) IP packet; undefined when they are malformed. */
export function summarizeIp(packet: Uint8Array): IpSummary | undefined {
  const version = (packet[0] ?? 0) >> 4;
  if (version === 4) return summarizeIpv4(packet);
  if (version === 6) return summarizeIpv6(packet);
  return undefined;
}

/** True for neighbour discovery and MLD: link-layer chatter rather than traffic of a scenario. */
export function isLinkLayerOnly(summary: IpSummary): boolean {
  return (
    summary.protocol === PROTO_ICMPV6 &&
    summary.icmpType !== undefined &&
    LINK_ONLY_ICMPV6_TYPES.has(summary.icmpType)
  );
}

function summarizeIpv4(packet: Uint8Array): IpSummary | undefined {
  const headerBytes = ((packet[0] ?? 0) & 0x0f) * 4;
  if (headerBytes < 20 || packet.byteLength < headerBytes) return undefined;
  const fragmentOffset = readUint16(packet, 6) & 0x1fff;
  const protocol = packet[9] ?? 0;
  const src = packet.subarray(12, 16).join(".");
  const dst = packet.subarray(16, 20).join(".");
  return withUpperLayer(4, src, dst, protocol, fragmentOffset !== 0, packet.subarray(headerBytes));
}

function summarizeIpv6(packet: Uint8Array): IpSummary | undefined {
  if (packet.byteLength < IPV6_HEADER_BYTES) return undefined;
  const src = formatIpv6(packet.subarray(8, 24));
  const dst = formatIpv6(packet.subarray(24, 40));
  let nextHeader = packet[6] ?? 0;
  let offset = IPV6_HEADER_BYTES;
  let laterFragment = false;
  for (;;) {
    if (nextHeader === IPV6_FRAGMENT) {
      if (packet.byteLength < offset + 8) return undefined;
      laterFragment = (readUint16(packet, offset + 2) & 0xfff8) !== 0;
      nextHeader = packet[offset] ?? 0;
      offset += 8;
    } else if (
      nextHeader === IPV6_HOP_BY_HOP ||
      nextHeader === IPV6_ROUTING ||
      nextHeader === IPV6_DESTINATION_OPTIONS
    ) {
      if (packet.byteLength < offset + 8) return undefined;
      const extensionBytes = ((packet[offset + 1] ?? 0) + 1) * 8;
      nextHeader = packet[offset] ?? 0;
      offset += extensionBytes;
    } else {
      break;
    }
  }
  if (offset > packet.byteLength) return undefined;
  return withUpperLayer(6, src, dst, nextHeader, laterFragment, packet.subarray(offset));
}

function withUpperLayer(
  version: 4 | 6,
  src: string,
  dst: string,
  protocol: number,
  laterFragment: boolean,
  upper: Uint8Array,
): IpSummary {
  const summary = { version, src, dst, protocol, laterFragment };
  if (laterFragment) return { ...summary, icmpType: undefined, transport: undefined };
  const isIcmp = protocol === (version === 4 ? PROTO_ICMP : PROTO_ICMPV6);
  return {
    ...summary,
    icmpType: isIcmp && upper.byteLength >= 4 ? upper[0] : undefined,
    transport: transportOf(protocol, upper),
  };
}

function transportOf(protocol: number, upper: Uint8Array): TransportSegment | undefined {
  if (protocol === PROTO_UDP && upper.byteLength >= 8) {
    return {
      protocol: "udp",
      srcPort: readUint16(upper, 0),
      dstPort: readUint16(upper, 2),
      seq: 0,
      flags: 0,
      payload: upper.subarray(8, Math.min(upper.byteLength, Math.max(8, readUint16(upper, 4)))),
    };
  }
  if (protocol === PROTO_TCP && upper.byteLength >= 20) {
    const headerBytes = ((upper[12] ?? 0) >> 4) * 4;
    if (headerBytes < 20 || upper.byteLength < headerBytes) return undefined;
    return {
      protocol: "tcp",
      srcPort: readUint16(upper, 0),
      dstPort: readUint16(upper, 2),
      seq: readUint32(upper, 4),
      flags: upper[13] ?? 0,
      payload: upper.subarray(headerBytes),
    };
  }
  return undefined;
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(readUint16(bytes, i).toString(16));
  return groups.join(":");
}

function readUint16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return ((readUint16(bytes, offset) << 16) | readUint16(bytes, offset + 2)) >>> 0;
}
