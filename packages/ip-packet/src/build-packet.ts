import { writeU16, writeU32 } from "./bytes.ts";
import { DEFAULT_TTL, emitIpv4Header, emitIpv6Header, ipHeaderLenOf } from "./emit-ip-header.ts";
import { ICMP_HEADER_LEN } from "./icmp-header.ts";
import { Icmpv4Type } from "./icmpv4.ts";
import { Icmpv6Type } from "./icmpv6.ts";
import type { IpAddress, IpPacket } from "./ip-packet.ts";
import { IpProtocol } from "./ip-protocol.ts";
import { Ipv4Packet } from "./ipv4.ts";
import { Ipv6Packet } from "./ipv6.ts";
import { TCP_HEADER_LEN } from "./tcp.ts";
import { fillTransportChecksum } from "./transport-checksum.ts";
import { UDP_HEADER_LEN } from "./udp.ts";
import { type WireError, wireError } from "./wire-error.ts";

/** Addresses of a packet to build: two numbers for IPv4, two 16-byte arrays for IPv6. */
export interface PacketEndpoints {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** TTL or hop limit; defaults to 64. */
  readonly ttl?: number;
}

export interface UdpPacketRepr extends PacketEndpoints {
  readonly srcPort: number;
  readonly dstPort: number;
}

export interface TcpPacketRepr extends PacketEndpoints {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** TcpFlag bits. */
  readonly flags: number;
  readonly window: number;
  /** Options, padded by the caller to a multiple of 4 bytes (at most 40). */
  readonly options?: Uint8Array;
}

export interface IcmpEchoRepr extends PacketEndpoints {
  readonly reply: boolean;
  readonly id: number;
  readonly seq: number;
}

// Builders write into `out` (a pool slot) when given, or allocate exactly; they return the
// packet as a view of its bytes, every checksum filled, or an error with nothing promised.

/** Where the UDP payload starts in what `emitUdpPacket` builds: 28 for IPv4, 48 for IPv6. */
export function udpPayloadOffset(version: 4 | 6): number {
  return ipHeaderLenOf(version) + UDP_HEADER_LEN;
}

/** Builds a UDP packet (a DNS reply, say) around a copy of `payload`. */
export function buildUdpPacket(
  repr: UdpPacketRepr,
  payload: Uint8Array,
  out?: Uint8Array,
): Uint8Array | WireError {
  const version = versionOf(repr);
  if (version === undefined) return wireError("address-family");
  const buffer = bufferFor(out, udpPayloadOffset(version) + payload.length);
  if (!(buffer instanceof Uint8Array)) return buffer;
  buffer.set(payload, udpPayloadOffset(version));
  return emitUdpPacket(buffer, repr, payload.length);
}

/**
 * Writes IP and UDP headers in front of a payload already placed at `udpPayloadOffset` in `out`,
 * so a DNS answer encoded straight into a slot is never copied.
 */
export function emitUdpPacket(
  out: Uint8Array,
  repr: UdpPacketRepr,
  payloadLen: number,
): Uint8Array | WireError {
  const version = versionOf(repr);
  if (version === undefined) return wireError("address-family");
  const headerLen = ipHeaderLenOf(version);
  const upperLen = UDP_HEADER_LEN + payloadLen;
  if (upperLen > 0xffff || headerLen + upperLen > 0xffff) return wireError("too-large");
  if (out.length < headerLen + upperLen) return wireError("buffer-too-small");
  const udp = out.subarray(headerLen);
  writeU16(udp, 0, repr.srcPort);
  writeU16(udp, 2, repr.dstPort);
  writeU16(udp, 4, upperLen);
  return finish(out, repr, version, IpProtocol.Udp, upperLen);
}

/** Builds a TCP segment in a packet. */
export function buildTcpPacket(
  repr: TcpPacketRepr,
  payload: Uint8Array,
  out?: Uint8Array,
): Uint8Array | WireError {
  const version = versionOf(repr);
  if (version === undefined) return wireError("address-family");
  const options = repr.options ?? EMPTY;
  if (options.length % 4 !== 0 || options.length > 40) return wireError("bad-header-len");
  const headerLen = ipHeaderLenOf(version);
  const tcpHeaderLen = TCP_HEADER_LEN + options.length;
  const upperLen = tcpHeaderLen + payload.length;
  if (headerLen + upperLen > 0xffff) return wireError("too-large");
  const buffer = bufferFor(out, headerLen + upperLen);
  if (!(buffer instanceof Uint8Array)) return buffer;
  const tcp = buffer.subarray(headerLen);
  writeU16(tcp, 0, repr.srcPort);
  writeU16(tcp, 2, repr.dstPort);
  writeU32(tcp, 4, repr.seq);
  writeU32(tcp, 8, repr.ack);
  writeU16(tcp, 12, ((tcpHeaderLen / 4) << 12) | (repr.flags & 0x0fff));
  writeU16(tcp, 14, repr.window);
  writeU16(tcp, 16, 0);
  writeU16(tcp, 18, 0);
  tcp.set(options, TCP_HEADER_LEN);
  tcp.set(payload, tcpHeaderLen);
  return finish(buffer, repr, version, IpProtocol.Tcp, upperLen);
}

/** Builds an ICMP (IPv4) or ICMPv6 (IPv6) echo request or reply. */
export function buildIcmpEcho(
  repr: IcmpEchoRepr,
  payload: Uint8Array,
  out?: Uint8Array,
): Uint8Array | WireError {
  const version = versionOf(repr);
  if (version === undefined) return wireError("address-family");
  const headerLen = ipHeaderLenOf(version);
  const upperLen = ICMP_HEADER_LEN + payload.length;
  if (headerLen + upperLen > 0xffff) return wireError("too-large");
  const buffer = bufferFor(out, headerLen + upperLen);
  if (!(buffer instanceof Uint8Array)) return buffer;
  const icmp = buffer.subarray(headerLen);
  if (version === 4) icmp[0] = repr.reply ? Icmpv4Type.EchoReply : Icmpv4Type.EchoRequest;
  else icmp[0] = repr.reply ? Icmpv6Type.EchoReply : Icmpv6Type.EchoRequest;
  icmp[1] = 0;
  writeU16(icmp, 2, 0);
  writeU16(icmp, 4, repr.id);
  writeU16(icmp, 6, repr.seq);
  icmp.set(payload, ICMP_HEADER_LEN);
  const protocol = version === 4 ? IpProtocol.Icmp : IpProtocol.Icmpv6;
  return finish(buffer, repr, version, protocol, upperLen);
}

/** The family of a repr's addresses, or undefined when they disagree or are malformed. */
export function versionOf(endpoints: PacketEndpoints): 4 | 6 | undefined {
  const { src, dst } = endpoints;
  if (typeof src === "number" && typeof dst === "number") return 4;
  if (typeof src !== "number" && typeof dst !== "number") {
    return src.length === 16 && dst.length === 16 ? 6 : undefined;
  }
  return undefined;
}

/** `out` (checked for room) or a fresh buffer of exactly `len` bytes. */
export function bufferFor(out: Uint8Array | undefined, len: number): Uint8Array | WireError {
  if (out === undefined) return new Uint8Array(len);
  return out.length < len ? wireError("buffer-too-small") : out;
}

/** Emits the IP header for an upper layer already in place and fills the transport checksum. */
export function finish(
  out: Uint8Array,
  endpoints: PacketEndpoints,
  version: 4 | 6,
  protocol: number,
  upperLen: number,
): Uint8Array | WireError {
  const bytes = out.subarray(0, ipHeaderLenOf(version) + upperLen);
  const { src, dst } = endpoints;
  const ttl = endpoints.ttl ?? DEFAULT_TTL;
  let packet: IpPacket;
  if (typeof src === "number" && typeof dst === "number") {
    emitIpv4Header(bytes, { src, dst, protocol, payloadLen: upperLen, ttl });
    packet = Ipv4Packet.unchecked(bytes);
  } else if (typeof src !== "number" && typeof dst !== "number") {
    emitIpv6Header(bytes, { src, dst, nextHeader: protocol, payloadLen: upperLen, hopLimit: ttl });
    packet = Ipv6Packet.unchecked(bytes);
  } else {
    return wireError("address-family");
  }
  fillTransportChecksum(packet);
  return bytes;
}

const EMPTY = new Uint8Array(0);
