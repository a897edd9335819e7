import {
  buildIcmpEcho,
  buildTcpPacket,
  buildUdpPacket,
  fillChecksums,
  type IpAddress,
  Ipv4Packet,
  Ipv6Packet,
  parseIpPacket,
} from "@fz/ip-packet";
import fc from "fast-check";
import { ok } from "./support.ts";

/** What a generated packet carries above IP. */
export type Carried = "udp" | "udp-no-checksum" | "tcp" | "icmp-echo" | "other";

export interface GeneratedPacket {
  readonly bytes: Uint8Array;
  readonly version: 4 | 6;
  readonly carried: Carried;
}

export const ipv4Address: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffffffff });
export const ipv6Address: fc.Arbitrary<Uint8Array> = fc.uint8Array({
  minLength: 16,
  maxLength: 16,
});
export const port: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffff });
/** A TCP sequence or acknowledgement number. */
export const seqNumber: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffffffff });

/** A packet's family and both families' address pairs, for `fc.record`: `version` picks one. */
export const addressFields = {
  version: fc.constantFrom<4 | 6>(4, 6),
  v4: fc.tuple(ipv4Address, ipv4Address),
  v6: fc.tuple(ipv6Address, ipv6Address),
};

/** IPv4 or TCP options: up to `maxWords` words of 4 arbitrary bytes. */
export const optionWords = (maxWords: number): fc.Arbitrary<Uint8Array> =>
  fc
    .integer({ min: 0, max: maxWords })
    .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 }));

const payload = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 500, maxLength: 1200 }) },
);

/** IPv6 extension headers to put in front of the upper layer: [next-header value, length units]. */
const extensionChain = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.tuple(fc.constantFrom(43, 60), fc.integer({ min: 0, max: 3 })), { maxLength: 3 }),
  )
  .map(([hopByHop, rest]): [number, number][] => (hopByHop ? [[0, 0], ...rest] : rest));

/**
 * Whole, valid packets with every checksum correct: IPv4 (with or without options) or IPv6 (with
 * or without extension headers) carrying UDP, TCP, an ICMP echo, or an opaque protocol.
 */
export const arbitraryPacket: fc.Arbitrary<GeneratedPacket> = fc
  .record({
    ...addressFields,
    carried: fc.constantFrom<Carried>("udp", "udp-no-checksum", "tcp", "icmp-echo", "other"),
    srcPort: port,
    dstPort: port,
    seq: seqNumber,
    ack: seqNumber,
    flags: fc.integer({ min: 0, max: 0x1ff }),
    reply: fc.boolean(),
    ttl: fc.integer({ min: 0, max: 255 }),
    payload,
    ipv4Options: optionWords(10),
    extensions: extensionChain,
  })
  .map((spec): GeneratedPacket => {
    const [src, dst]: [IpAddress, IpAddress] = spec.version === 4 ? spec.v4 : spec.v6;
    const endpoints = { src, dst, ttl: spec.ttl };
    let bytes: Uint8Array;
    switch (spec.carried) {
      case "tcp":
        bytes = ok(
          buildTcpPacket(
            {
              ...endpoints,
              srcPort: spec.srcPort,
              dstPort: spec.dstPort,
              seq: spec.seq,
              ack: spec.ack,
              flags: spec.flags,
              window: spec.dstPort,
            },
            spec.payload,
          ),
        );
        break;
      case "icmp-echo":
        bytes = ok(
          buildIcmpEcho(
            { ...endpoints, reply: spec.reply, id: spec.srcPort, seq: spec.dstPort },
            spec.payload,
          ),
        );
        break;
      default:
        bytes = ok(
          buildUdpPacket(
            { ...endpoints, srcPort: spec.srcPort, dstPort: spec.dstPort },
            spec.payload,
          ),
        );
    }
    const carried = spec.version === 6 && spec.carried === "udp-no-checksum" ? "udp" : spec.carried;
    if (carried === "other") bytes[spec.version === 4 ? 9 : 6] = 47; // GRE
    bytes =
      spec.version === 4
        ? withIpv4Options(bytes, spec.ipv4Options)
        : withExtensionHeaders(bytes, spec.extensions);
    const packet = ok(parseIpPacket(bytes));
    fillChecksums(packet);
    if (carried === "udp-no-checksum") {
      bytes[packet.headerLen + 6] = 0;
      bytes[packet.headerLen + 7] = 0;
    }
    return { bytes, version: spec.version, carried };
  });

/** Inserts options after a 20-byte IPv4 header and fixes IHL and total length. */
export function withIpv4Options(packet: Uint8Array, options: Uint8Array): Uint8Array {
  if (options.length === 0) return packet;
  const out = new Uint8Array(packet.length + options.length);
  out.set(packet.subarray(0, 20));
  out.set(options, 20);
  out.set(packet.subarray(20), 20 + options.length);
  const view = Ipv4Packet.unchecked(out);
  view.headerLen = 20 + options.length;
  view.totalLen = out.length;
  return out;
}

/** Inserts a chain of generic extension headers ([type, length in 8-byte units]) after the fixed header. */
export function withExtensionHeaders(packet: Uint8Array, chain: [number, number][]): Uint8Array {
  if (chain.length === 0) return packet;
  const extLen = chain.reduce((sum, [, units]) => sum + (units + 1) * 8, 0);
  const out = new Uint8Array(packet.length + extLen);
  out.set(packet.subarray(0, 40));
  const upper = packet[6] ?? 0;
  let at = 40;
  chain.forEach(([type, units], i) => {
    out[at] = chain[i + 1]?.[0] ?? upper;
    out[at + 1] = units;
    // PadN over the rest of the header keeps options well-formed; routing bytes are opaque.
    if (type !== 43) {
      out[at + 2] = 1;
      out[at + 3] = (units + 1) * 8 - 4;
    }
    at += (units + 1) * 8;
  });
  out.set(packet.subarray(40), at);
  const view = Ipv6Packet.unchecked(out);
  view.nextHeader = chain[0]?.[0] ?? upper;
  view.payloadLen = out.length - 40;
  return out;
}

/**
 * Splits a whole packet into a first fragment holding `firstUnits` * 8 transport bytes (at least 8,
 * and fewer than all) and the rest. The packet must carry more than 8 bytes above IP.
 */
export function fragment(packet: Uint8Array, firstUnits: number): [Uint8Array, Uint8Array] {
  const whole = ok(parseIpPacket(packet));
  const headerLen = whole.headerLen;
  const data = packet.subarray(headerLen);
  const cut = Math.max(8, Math.min(firstUnits * 8, Math.floor((data.length - 1) / 8) * 8));
  if (whole.version === 4) {
    const make = (part: Uint8Array, offset: number, more: boolean): Uint8Array => {
      const out = new Uint8Array(headerLen + part.length);
      out.set(packet.subarray(0, headerLen));
      out.set(part, headerLen);
      const view = Ipv4Packet.unchecked(out);
      view.totalLen = out.length;
      view.setFragment(false, more, offset);
      view.fillHeaderChecksum();
      return out;
    };
    return [make(data.subarray(0, cut), 0, true), make(data.subarray(cut), cut, false)];
  }
  const make = (part: Uint8Array, offset: number, more: boolean): Uint8Array => {
    const out = new Uint8Array(headerLen + 8 + part.length);
    out.set(packet.subarray(0, headerLen));
    // The fragment header goes last in the chain, right before the upper layer.
    const view = Ipv6Packet.unchecked(out);
    if (headerLen === 40) {
      out[40] = out[6] ?? 0;
      out[6] = 44;
    } else {
      for (let at = 40; at < headerLen; ) {
        const len = ((out[at + 1] ?? 0) + 1) * 8;
        if (at + len === headerLen) {
          out[headerLen] = out[at] ?? 0;
          out[at] = 44;
        }
        at += len;
      }
    }
    out[headerLen + 1] = 0;
    out[headerLen + 2] = offset >>> 8;
    out[headerLen + 3] = (offset & 0xf8) | (more ? 1 : 0);
    out.set([0x12, 0x34, 0x56, 0x78], headerLen + 4);
    out.set(part, headerLen + 8);
    view.payloadLen = out.length - 40;
    return out;
  };
  return [make(data.subarray(0, cut), 0, true), make(data.subarray(cut), cut, false)];
}
