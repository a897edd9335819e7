import { describe, expect, test } from "bun:test";
import {
  computeTransportChecksum,
  fillChecksums,
  fillTransportChecksum,
  parseIpPacket,
  transportChecksumValid,
} from "@fz/ip-packet";
import {
  ICMP4_ECHO_REQUEST,
  ICMP4_PORT_UNREACHABLE,
  ICMP6_ECHO_REQUEST,
  ICMP6_PORT_UNREACHABLE,
  P2P_GOODBYE,
  TCP4_SYN,
  TCP6_PSH_ACK,
  UDP4_DNS_QUERY,
  UDP4_FIRST_FRAGMENT,
  UDP4_NO_CHECKSUM,
  UDP4_WITH_OPTIONS,
  UDP6_DNS_QUERY,
} from "../test/known-packets.ts";
import { ok } from "../test/support.ts";

const WHOLE = {
  UDP4_DNS_QUERY: [UDP4_DNS_QUERY, 0x625a],
  UDP4_WITH_OPTIONS: [UDP4_WITH_OPTIONS, 0x4e00],
  TCP4_SYN: [TCP4_SYN, 0x6b31],
  ICMP4_ECHO_REQUEST: [ICMP4_ECHO_REQUEST, 0x8764],
  ICMP4_PORT_UNREACHABLE: [ICMP4_PORT_UNREACHABLE, 0xe99d],
  UDP6_DNS_QUERY: [UDP6_DNS_QUERY, 0x510e],
  TCP6_PSH_ACK: [TCP6_PSH_ACK, 0x49a6],
  ICMP6_ECHO_REQUEST: [ICMP6_ECHO_REQUEST, 0x38cf],
  ICMP6_PORT_UNREACHABLE: [ICMP6_PORT_UNREACHABLE, 0x8f87],
} as const;

describe("transport checksums of known packets (values from tshark)", () => {
  for (const [name, [bytes, expected]] of Object.entries(WHOLE)) {
    test(`${name}: computes ${expected.toString(16)} and verifies`, () => {
      const packet = ok(parseIpPacket(bytes));
      expect(computeTransportChecksum(packet)).toBe(expected);
      expect(transportChecksumValid(packet)).toBe(true);
    });
  }

  test("fill rewrites zeroed checksums to the known values", () => {
    for (const [bytes] of Object.values(WHOLE)) {
      const copy = bytes.slice();
      const packet = ok(parseIpPacket(copy));
      if (packet.version === 4) {
        copy[10] = 0;
        copy[11] = 0;
      }
      const at = packet.headerLen + (packet.protocol === 6 ? 16 : packet.protocol === 17 ? 6 : 2);
      copy[at] = 0;
      copy[at + 1] = 0;
      expect(transportChecksumValid(packet)).toBe(packet.protocol === 17 && packet.version === 4);
      fillChecksums(packet);
      expect([...copy]).toEqual([...bytes]);
    }
  });

  test("a corrupted byte fails verification", () => {
    const copy = TCP6_PSH_ACK.slice();
    copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x80;
    expect(transportChecksumValid(ok(parseIpPacket(copy)))).toBe(false);
  });

  test("UDP over IPv4 without a checksum is valid, over IPv6 it is not", () => {
    expect(transportChecksumValid(ok(parseIpPacket(UDP4_NO_CHECKSUM)))).toBe(true);
    const v6 = UDP6_DNS_QUERY.slice();
    v6[46] = 0;
    v6[47] = 0;
    expect(transportChecksumValid(ok(parseIpPacket(v6)))).toBe(false);
  });

  test("a UDP checksum that computes to 0 is 0xFFFF", () => {
    // Solve for the payload word that makes the sum all ones, so the checksum computes to 0.
    const bytes = UDP4_DNS_QUERY.slice();
    const packet = ok(parseIpPacket(bytes));
    // Bytes 54-55 are a 16-bit word of the UDP datagram (offsets 34-35 from its start).
    bytes[54] = 0;
    bytes[55] = 0;
    const before = computeTransportChecksum(packet) ?? 0;
    // Adding the checksum value as a data word drives the complemented sum to zero.
    bytes[54] = before >>> 8;
    bytes[55] = before & 0xff;
    expect(computeTransportChecksum(packet)).toBe(0xffff);
    expect(fillTransportChecksum(packet)).toBe(true);
    expect(bytes[26]).toBe(0xff);
    expect(bytes[27]).toBe(0xff);
    expect(transportChecksumValid(packet)).toBe(true);
  });

  test("nothing to compute for fragments and protocols without a known checksum", () => {
    expect(computeTransportChecksum(ok(parseIpPacket(UDP4_FIRST_FRAGMENT)))).toBeUndefined();
    expect(transportChecksumValid(ok(parseIpPacket(P2P_GOODBYE)))).toBeUndefined();
    expect(fillTransportChecksum(ok(parseIpPacket(P2P_GOODBYE)))).toBe(false);
  });
});
