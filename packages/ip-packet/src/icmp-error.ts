import { bufferFor, finish } from "./build-packet.ts";
import { writeU16, writeU32 } from "./bytes.ts";
import { ipHeaderLenOf } from "./emit-ip-header.ts";
import { ICMP_HEADER_LEN } from "./icmp-header.ts";
import { Icmpv4Type, Icmpv4UnreachableCode, isIcmpv4Error } from "./icmpv4.ts";
import { Icmpv6Type, Icmpv6UnreachableCode, isIcmpv6Error } from "./icmpv6.ts";
import type { IpAddress, IpPacket } from "./ip-packet.ts";
import { IpProtocol } from "./ip-protocol.ts";
import type { Ipv4Packet } from "./ipv4.ts";
import type { Ipv6Packet } from "./ipv6.ts";
import { type WireError, wireError } from "./wire-error.ts";

/** The largest ICMPv4 error: "as much as possible without exceeding 576 bytes" (RFC 1812, 4.3.2.3). */
export const ICMPV4_ERROR_MAX_LEN = 576;

/** The largest ICMPv6 error: the IPv6 minimum MTU (RFC 4443, 2.4 c). */
export const ICMPV6_ERROR_MAX_LEN = 1280;

/** Codes the ICMPv4 builder writes; "fragmentation needed" (4) also needs a next-hop MTU. */
export type Icmpv4UnreachableCodeValue = Exclude<
  (typeof Icmpv4UnreachableCode)[keyof typeof Icmpv4UnreachableCode],
  4
>;
export type Icmpv6UnreachableCodeValue =
  (typeof Icmpv6UnreachableCode)[keyof typeof Icmpv6UnreachableCode];

export interface IcmpErrorOptions {
  /** Source of the error; defaults to the offending packet's destination, as Firezone replies. */
  readonly source?: IpAddress;
  /** Defaults to 64. */
  readonly ttl?: number;
}

/**
 * Why a tunnel refuses a packet, mapped to destination-unreachable codes as Firezone does:
 * "prohibited" (a filter) is v4 13 / v6 1, "unreachable" (no route, no NAT) is v4 0 / v6 3.
 */
export type UnreachableReason = "prohibited" | "unreachable";

/** Builds the destination-unreachable error for a packet of either family. */
export function buildDestinationUnreachable(
  offending: IpPacket,
  reason: UnreachableReason,
  options: IcmpErrorOptions = {},
  out?: Uint8Array,
): Uint8Array | WireError {
  if (offending.version === 4) {
    const code =
      reason === "prohibited"
        ? Icmpv4UnreachableCode.AdminProhibited
        : Icmpv4UnreachableCode.Network;
    return buildIcmpv4Unreachable(offending, code, options, out);
  }
  const code =
    reason === "prohibited" ? Icmpv6UnreachableCode.AdminProhibited : Icmpv6UnreachableCode.Address;
  return buildIcmpv6Unreachable(offending, code, options, out);
}

/** Builds an ICMPv4 destination unreachable embedding as much of `offending` as fits in 576 bytes. */
export function buildIcmpv4Unreachable(
  offending: Ipv4Packet,
  code: Icmpv4UnreachableCodeValue,
  options: IcmpErrorOptions = {},
  out?: Uint8Array,
): Uint8Array | WireError {
  return buildError(offending, Icmpv4Type.DestinationUnreachable, code, options, out);
}

/** Builds an ICMPv6 destination unreachable embedding as much of `offending` as fits in 1280 bytes. */
export function buildIcmpv6Unreachable(
  offending: Ipv6Packet,
  code: Icmpv6UnreachableCodeValue,
  options: IcmpErrorOptions = {},
  out?: Uint8Array,
): Uint8Array | WireError {
  return buildError(offending, Icmpv6Type.DestinationUnreachable, code, options, out);
}

/**
 * Whether an ICMP error may be sent about this packet: not about an ICMP error, a fragment past
 * the first, a multicast or broadcast destination, or a source that names no single host
 * (RFC 1122 3.2.2, RFC 1812 4.3.2.7, RFC 4443 2.4 e).
 */
export function icmpErrorAllowed(offending: IpPacket): boolean {
  if (!offending.hasTransportHeader) return false;
  const bytes = offending.bytes;
  const start = offending.headerLen;
  if (offending.version === 4) {
    if (offending.protocol === IpProtocol.Icmp && start < bytes.length) {
      if (isIcmpv4Error(bytes[start] ?? 0)) return false;
    }
    const src = offending.src;
    const dst = offending.dst;
    if (src === 0 || src >>> 28 >= 0xe) return false;
    return dst >>> 28 !== 0xe && dst !== 0xffffffff;
  }
  if (offending.protocol === IpProtocol.Icmpv6 && start < bytes.length) {
    const type = bytes[start] ?? 0;
    if (isIcmpv6Error(type) || type === 137) return false;
  }
  if (bytes[8] === 0xff || bytes[24] === 0xff) return false;
  for (let i = 8; i < 24; i++) if (bytes[i] !== 0) return true;
  return false;
}

function buildError(
  offending: IpPacket,
  type: number,
  code: number,
  options: IcmpErrorOptions,
  out: Uint8Array | undefined,
): Uint8Array | WireError {
  if (!icmpErrorAllowed(offending)) return wireError("icmp-error-not-allowed");
  const version = offending.version;
  // Addresses are copied before anything is written: `out` may be the offending packet's slot.
  const source = options.source ?? (version === 4 ? offending.dst : offending.dst.slice());
  const destination = version === 4 ? offending.src : offending.src.slice();
  if ((typeof source === "number") !== (version === 4)) return wireError("address-family");
  const headerLen = ipHeaderLenOf(version);
  const maxLen = version === 4 ? ICMPV4_ERROR_MAX_LEN : ICMPV6_ERROR_MAX_LEN;
  const quoted = offending.bytes.subarray(0, maxLen - headerLen - ICMP_HEADER_LEN);
  const upperLen = ICMP_HEADER_LEN + quoted.length;
  const buffer = bufferFor(out, headerLen + upperLen);
  if (!(buffer instanceof Uint8Array)) return buffer;
  const icmp = buffer.subarray(headerLen);
  icmp.set(quoted, ICMP_HEADER_LEN);
  icmp[0] = type;
  icmp[1] = code;
  writeU16(icmp, 2, 0);
  writeU32(icmp, 4, 0);
  const endpoints =
    options.ttl === undefined
      ? { src: source, dst: destination }
      : { src: source, dst: destination, ttl: options.ttl };
  return finish(
    buffer,
    endpoints,
    version,
    version === 4 ? IpProtocol.Icmp : IpProtocol.Icmpv6,
    upperLen,
  );
}
