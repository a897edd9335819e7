import { describe, expect, test } from "bun:test";
import {
  isLinkLayerOnly,
  PROTO_ICMPV6,
  PROTO_TCP,
  PROTO_UDP,
  summarizeIp,
  trimToIpLength,
} from "@fz/capture";

const be16 = (value: number) => [(value >> 8) & 0xff, value & 0xff];
const be32 = (value: number) => [...be16(value >>> 16), ...be16(value & 0xffff)];

function ipv4(protocol: number, upper: number[], fragment = 0): number[] {
  return [
    0x45,
    0,
    ...be16(20 + upper.length),
    0x12,
    0x34,
    ...be16(fragment),
    64,
    protocol,
    0,
    0,
    198,
    18,
    0,
    1,
    198,
    18,
    0,
    2,
    ...upper,
  ];
}

function ipv6(nextHeader: number, upper: number[]): number[] {
  const src = [0xfd, 0, 0x01, 0x98, 0, 0x18, ...new Array(9).fill(0), 1];
  const dst = [0xfd, 0, 0x01, 0x98, 0, 0x18, ...new Array(9).fill(0), 2];
  return [0x60, 0, 0, 0, ...be16(upper.length), nextHeader, 64, ...src, ...dst, ...upper];
}

const udp = (srcPort: number, dstPort: number, payload: number[]) => [
  ...be16(srcPort),
  ...be16(dstPort),
  ...be16(8 + payload.length),
  0,
  0,
  ...payload,
];
const tcp = (srcPort: number, dstPort: number, seq: number, flags: number, payload: number[]) => [
  ...be16(srcPort),
  ...be16(dstPort),
  ...be32(seq),
  0,
  0,
  0,
  0,
  0x50,
  flags,
  0xff,
  0xff,
  0,
  0,
  0,
  0,
  ...payload,
];

describe("trimToIpLength", () => {
  test("drops Ethernet padding after the length the IP header declares", () => {
    const packet = ipv4(PROTO_UDP, udp(1, 2, [9]));
    const padded = Uint8Array.from([...packet, 0, 0, 0, 0]);
    expect([...(trimToIpLength(padded) ?? [])]).toEqual(packet);
    const six = ipv6(PROTO_UDP, udp(1, 2, []));
    expect(trimToIpLength(Uint8Array.from([...six, 0xee]))?.byteLength).toBe(48);
  });

  test("returns undefined for a packet shorter than its declared length or of no IP version", () => {
    expect(
      trimToIpLength(Uint8Array.from(ipv4(PROTO_UDP, udp(1, 2, [1, 2]))).subarray(0, 25)),
    ).toBeUndefined();
    expect(trimToIpLength(new Uint8Array(40))).toBeUndefined();
  });
});

describe("summarizeIp", () => {
  test("finds UDP ports and payload in IPv4", () => {
    const summary = summarizeIp(Uint8Array.from(ipv4(PROTO_UDP, udp(40000, 53, [1, 2, 3]))));
    expect(summary?.version).toBe(4);
    expect(summary?.src).toBe("198.18.0.1");
    expect(summary?.dst).toBe("198.18.0.2");
    expect(summary?.transport?.protocol).toBe("udp");
    expect(summary?.transport?.srcPort).toBe(40000);
    expect(summary?.transport?.dstPort).toBe(53);
    expect([...(summary?.transport?.payload ?? [])]).toEqual([1, 2, 3]);
  });

  test("finds TCP sequence number, flags and payload in IPv6", () => {
    const summary = summarizeIp(
      Uint8Array.from(ipv6(PROTO_TCP, tcp(53, 41000, 0xfffffff0, 0x18, [7, 8]))),
    );
    expect(summary?.src).toBe("fd00:198:18:0:0:0:0:1");
    expect(summary?.transport).toMatchObject({
      protocol: "tcp",
      srcPort: 53,
      dstPort: 41000,
      seq: 0xfffffff0,
      flags: 0x18,
    });
    expect([...(summary?.transport?.payload ?? [])]).toEqual([7, 8]);
  });

  test("walks IPv6 extension headers and marks later fragments as carrying no transport header", () => {
    const hopByHop = [44, 0, 1, 4, 0, 0, 0, 0]; // next: fragment
    const firstFragment = [PROTO_ICMPV6, 0, ...be16(0x0001), ...be32(0xdeadbeef)];
    const first = summarizeIp(
      Uint8Array.from(ipv6(0, [...hopByHop, ...firstFragment, 128, 0, 0, 0, 0, 1, 0, 1])),
    );
    expect(first?.protocol).toBe(PROTO_ICMPV6);
    expect(first?.laterFragment).toBe(false);
    expect(first?.icmpType).toBe(128);
    const laterFragment = [PROTO_ICMPV6, 0, ...be16((181 << 3) | 1), ...be32(0xdeadbeef)];
    const later = summarizeIp(Uint8Array.from(ipv6(44, [...laterFragment, 1, 2, 3, 4])));
    expect(later?.laterFragment).toBe(true);
    expect(later?.icmpType).toBeUndefined();
    expect(later?.transport).toBeUndefined();
    const v4Later = summarizeIp(Uint8Array.from(ipv4(PROTO_UDP, [1, 2, 3, 4, 5, 6, 7, 8], 185)));
    expect(v4Later?.laterFragment).toBe(true);
    expect(v4Later?.transport).toBeUndefined();
  });

  test("classifies neighbour discovery and MLD as link-layer chatter, echo and errors as traffic", () => {
    const icmpv6 = (type: number) =>
      summarizeIp(Uint8Array.from(ipv6(PROTO_ICMPV6, [type, 0, 0, 0, 0, 0, 0, 0])));
    for (const type of [133, 134, 135, 136, 137, 130, 143]) {
      const summary = icmpv6(type);
      expect(summary && isLinkLayerOnly(summary)).toBe(true);
    }
    for (const type of [1, 3, 128, 129]) {
      const summary = icmpv6(type);
      expect(summary && isLinkLayerOnly(summary)).toBe(false);
    }
  });

  test("returns undefined for malformed headers", () => {
    expect(summarizeIp(Uint8Array.of(0x44, 0, 0, 20))).toBeUndefined();
    expect(summarizeIp(Uint8Array.from(ipv6(44, [1, 2, 3])))).toBeUndefined();
    expect(summarizeIp(Uint8Array.of(0x70))).toBeUndefined();
  });
});
