import { buildTcpPacket, type IpAddress, Ipv4Packet, type TcpPacketRepr } from "@fz/ip-packet";
import fc from "fast-check";
import {
  addressFields,
  optionWords,
  port,
  seqNumber,
  withExtensionHeaders,
  withIpv4Options,
} from "./arbitraries.ts";
import { ok } from "./support.ts";

/** One TCP super-packet as a sender's TSO hands it to its NIC, but for the payload itself. */
export interface SuperPacketSpec
  extends Pick<TcpPacketRepr, "srcPort" | "dstPort" | "seq" | "ack" | "flags" | "window"> {
  readonly version: 4 | 6;
  readonly v4: [number, number];
  readonly v6: [Uint8Array, Uint8Array];
  readonly tcpOptions: Uint8Array;
  readonly ipv4Options: Uint8Array;
  readonly ident: number;
  readonly dontFragment: boolean;
  /** IPv4 DSCP/ECN byte or IPv6 traffic class. */
  readonly tos: number;
  readonly flowLabel: number;
  readonly ttl: number;
  /** Seeds the payload's bytes: see `noisePayload`. */
  readonly payloadSeed: number;
}

/** An arbitrary for each field of a SuperPacketSpec, for `fc.record`: spread, then override or add. */
export const superPacketFields = {
  ...addressFields,
  srcPort: port,
  dstPort: port,
  seq: seqNumber,
  ack: seqNumber,
  flags: fc.integer({ min: 0, max: 0xfff }),
  window: port,
  tcpOptions: optionWords(10),
  ipv4Options: optionWords(10),
  ident: port,
  dontFragment: fc.boolean(),
  tos: fc.integer({ min: 0, max: 0xff }),
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  ttl: fc.integer({ min: 1, max: 255 }),
  payloadSeed: fc.integer({ min: 1, max: 0x7fffffff }),
} satisfies { [Field in keyof SuperPacketSpec]: fc.Arbitrary<SuperPacketSpec[Field]> };

/** Deterministic noise: fast-check would take far too long to draw 65,000 bytes one by one. */
export function noisePayload(seed: number, length: number): Uint8Array {
  const payload = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < payload.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    payload[i] = x;
  }
  return payload;
}

/** Where a spec's TCP header starts, behind `extensions` ([type, 8-byte units - 1]) for IPv6. */
export function tcpOffsetOf(spec: SuperPacketSpec, extensions: [number, number][] = []): number {
  if (spec.version === 4) return 20 + spec.ipv4Options.length;
  return extensions.reduce((at, [, units]) => at + (units + 1) * 8, 40);
}

/**
 * A spec's super-packet around `payload`: IPv4 with its options, ident, DF and TOS, or IPv6 with
 * its traffic class, flow label and `extensions` before TCP. The TCP checksum is filled over the
 * header's addresses; the IPv4 header checksum is left as it was before the header's edits.
 */
export function buildSuperPacket(
  spec: SuperPacketSpec,
  payload: Uint8Array,
  extensions: [number, number][] = [],
): Uint8Array {
  const [src, dst]: [IpAddress, IpAddress] = spec.version === 4 ? spec.v4 : spec.v6;
  let bytes = ok(
    buildTcpPacket(
      {
        src,
        dst,
        ttl: spec.ttl,
        srcPort: spec.srcPort,
        dstPort: spec.dstPort,
        seq: spec.seq,
        ack: spec.ack,
        flags: spec.flags,
        window: spec.window,
        options: spec.tcpOptions,
      },
      payload,
    ),
  );
  if (spec.version === 4) {
    bytes = withIpv4Options(bytes, spec.ipv4Options);
    const ip = Ipv4Packet.unchecked(bytes);
    ip.ident = spec.ident;
    ip.setFragment(spec.dontFragment, false, 0);
    bytes[1] = spec.tos;
  } else {
    bytes = withExtensionHeaders(bytes, extensions);
    bytes[0] = 0x60 | (spec.tos >>> 4);
    bytes[1] = ((spec.tos & 0x0f) << 4) | (spec.flowLabel >>> 16);
    bytes[2] = spec.flowLabel >>> 8;
    bytes[3] = spec.flowLabel;
  }
  return bytes;
}
