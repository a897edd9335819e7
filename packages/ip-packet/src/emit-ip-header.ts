import { writeU16, writeU32 } from "./bytes.ts";
import { checksumSkippingField } from "./checksum.ts";
import { IPV4_FIELD, IPV4_HEADER_LEN } from "./ipv4.ts";
import { IPV6_FIELD, IPV6_HEADER_LEN } from "./ipv6.ts";

/** The fields of an option-less IPv4 header to emit. */
export interface Ipv4Repr {
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  /** Bytes after the 20-byte header. */
  readonly payloadLen: number;
  /** Defaults to 64. */
  readonly ttl?: number;
  readonly ident?: number;
  readonly dontFragment?: boolean;
  /** The DSCP and ECN byte; defaults to 0. */
  readonly dscpEcn?: number;
}

/** The fields of a fixed IPv6 header to emit (no extension headers). */
export interface Ipv6Repr {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly nextHeader: number;
  /** Bytes after the 40-byte header. */
  readonly payloadLen: number;
  /** Defaults to 64. */
  readonly hopLimit?: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
}

/** The hop limit builders use when none is given, as Linux does. */
export const DEFAULT_TTL = 64;

/** Writes a 20-byte IPv4 header, checksum included, at the start of `out`. */
export function emitIpv4Header(out: Uint8Array, repr: Ipv4Repr): void {
  out[IPV4_FIELD.VERSION_IHL] = 0x45;
  out[IPV4_FIELD.DSCP_ECN] = repr.dscpEcn ?? 0;
  writeU16(out, IPV4_FIELD.TOTAL_LEN, IPV4_HEADER_LEN + repr.payloadLen);
  writeU16(out, IPV4_FIELD.IDENT, repr.ident ?? 0);
  writeU16(out, IPV4_FIELD.FLAGS_FRAGMENT, repr.dontFragment === true ? 0x4000 : 0);
  out[IPV4_FIELD.TTL] = repr.ttl ?? DEFAULT_TTL;
  out[IPV4_FIELD.PROTOCOL] = repr.protocol;
  writeU32(out, IPV4_FIELD.SRC, repr.src);
  writeU32(out, IPV4_FIELD.DST, repr.dst);
  writeU16(
    out,
    IPV4_FIELD.CHECKSUM,
    checksumSkippingField(out, 0, IPV4_HEADER_LEN, IPV4_FIELD.CHECKSUM),
  );
}

/** Writes a 40-byte IPv6 header at the start of `out`. */
export function emitIpv6Header(out: Uint8Array, repr: Ipv6Repr): void {
  const trafficClass = repr.trafficClass ?? 0;
  const flowLabel = repr.flowLabel ?? 0;
  writeU32(out, 0, ((6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0xfffff)) >>> 0);
  writeU16(out, IPV6_FIELD.PAYLOAD_LEN, repr.payloadLen);
  out[IPV6_FIELD.NEXT_HEADER] = repr.nextHeader;
  out[IPV6_FIELD.HOP_LIMIT] = repr.hopLimit ?? DEFAULT_TTL;
  out.set(repr.src.subarray(0, 16), IPV6_FIELD.SRC);
  out.set(repr.dst.subarray(0, 16), IPV6_FIELD.DST);
}

/** The size of the header `emitIpv4Header` or `emitIpv6Header` writes. */
export function ipHeaderLenOf(version: 4 | 6): number {
  return version === 4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN;
}
