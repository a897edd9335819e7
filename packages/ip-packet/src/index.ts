export {
  formatIpAddress,
  formatIpv4,
  formatIpv4Bytes,
  formatIpv6,
  ipv6Equal,
  parseIpAddress,
  parseIpv4,
  parseIpv6,
} from "./address-format.ts";
export {
  buildIcmpEcho,
  buildTcpPacket,
  buildUdpPacket,
  emitUdpPacket,
  type IcmpEchoRepr,
  type PacketEndpoints,
  type TcpPacketRepr,
  type UdpPacketRepr,
  udpPayloadOffset,
} from "./build-packet.ts";
export {
  checksumSkippingField,
  checksumVerifies,
  foldChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  sumWords,
} from "./checksum.ts";
export {
  DEFAULT_TTL,
  emitIpv4Header,
  emitIpv6Header,
  type Ipv4Repr,
  type Ipv6Repr,
} from "./emit-ip-header.ts";
export {
  destinationPortOf,
  icmpEchoIdOf,
  icmpEchoSeqOf,
  sourcePortOf,
} from "./flow.ts";
export {
  buildDestinationUnreachable,
  buildIcmpv4Unreachable,
  buildIcmpv6Unreachable,
  ICMPV4_ERROR_MAX_LEN,
  ICMPV6_ERROR_MAX_LEN,
  type IcmpErrorOptions,
  type Icmpv4UnreachableCodeValue,
  type Icmpv6UnreachableCodeValue,
  icmpErrorAllowed,
  type UnreachableReason,
} from "./icmp-error.ts";
export {
  rewriteEmbeddedDestinationAddress,
  rewriteEmbeddedDestinationPort,
  rewriteEmbeddedSourceAddress,
  rewriteEmbeddedSourcePort,
} from "./icmp-error-rewrite.ts";
export { ICMP_FIELD, ICMP_HEADER_LEN, IcmpHeaderView } from "./icmp-header.ts";
export {
  Icmpv4Packet,
  Icmpv4Type,
  Icmpv4UnreachableCode,
  isIcmpv4Error,
} from "./icmpv4.ts";
export {
  Icmpv6Packet,
  Icmpv6Type,
  Icmpv6UnreachableCode,
  isIcmpv6Error,
} from "./icmpv6.ts";
export {
  applyChecksumDelta,
  applyUdpChecksumDelta,
  bytesDelta,
  u32Delta,
  updateChecksum16,
  updateChecksum32,
  wordDelta,
} from "./incremental-checksum.ts";
export {
  type IpAddress,
  type IpPacket,
  parseIpPacket,
  parseIpPacketPrefix,
} from "./ip-packet.ts";
export { IpProtocol, MAX_IP_SIZE } from "./ip-protocol.ts";
export { IPV4_FIELD, IPV4_HEADER_LEN, IPV4_MAX_HEADER_LEN, Ipv4Packet } from "./ipv4.ts";
export {
  IPV6_FIELD,
  IPV6_HEADER_LEN,
  Ipv6Packet,
  isIpv6ExtensionHeader,
  MAX_IPV6_EXTENSION_HEADERS,
} from "./ipv6.ts";
export {
  rewriteDestination,
  rewriteDestinationAddress,
  rewriteDestinationPort,
  rewriteIcmpEchoId,
  rewriteSource,
  rewriteSourceAddress,
  rewriteSourcePort,
} from "./nat-rewrite.ts";
export {
  buildP2pControlPacket,
  isP2pControl,
  P2P_CONTROL_HEADER_LEN,
  P2pControlPacket,
  P2pEventType,
} from "./p2p-control.ts";
export {
  type AssignedIps,
  buildAssignedIps,
  buildDomainStatus,
  buildGoodbye,
  type DomainStatus,
  decodeP2pEvent,
  type NatStatus,
  type P2pEvent,
} from "./p2p-events.ts";
export { TCP_FIELD, TCP_HEADER_LEN, TcpFlag, TcpPacket } from "./tcp.ts";
export { TCP_COALESCER_MAX_RUNS, TcpCoalescer, type TcpCoalescerEmit } from "./tcp-coalescer.ts";
export { TcpSegmenter } from "./tcp-segmenter.ts";
export { asIcmpv4, asIcmpv6, asTcp, asUdp, isPartial } from "./transport.ts";
export {
  computeTransportChecksum,
  fillChecksums,
  fillTransportChecksum,
  transportChecksumField,
  transportChecksumValid,
} from "./transport-checksum.ts";
export { UDP_FIELD, UDP_HEADER_LEN, UdpPacket } from "./udp.ts";
export {
  completePartialChecksum,
  GSO_ECN,
  GSO_NONE,
  GSO_TCPV4,
  GSO_TCPV6,
  VNET_F_NEEDS_CSUM,
  VNET_HDR_BYTES,
  VnetHeader,
} from "./virtio-net-header.ts";
export { isWireError, type WireError, type WireErrorKind, wireError } from "./wire-error.ts";
