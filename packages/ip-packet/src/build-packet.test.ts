import { describe, expect, test } from "bun:test";
import {
  asIcmpv4,
  asIcmpv6,
  asTcp,
  asUdp,
  buildIcmpEcho,
  buildTcpPacket,
  buildUdpPacket,
  emitUdpPacket,
  formatIpAddress,
  type IpAddress,
  parseIpPacket,
  parseIpv6,
  TcpFlag,
  transportChecksumValid,
  udpPayloadOffset,
} from "@fz/ip-packet";
import fc from "fast-check";
import { ipv4Address, ipv6Address, port } from "../test/arbitraries.ts";
import { ICMP6_ECHO_REQUEST, TCP6_PSH_ACK, UDP6_DNS_QUERY } from "../test/known-packets.ts";
import { hex, kindOf, ok } from "../test/support.ts";

const v6 = (text: string): Uint8Array => parseIpv6(text) ?? new Uint8Array();
const DNS_QUERY = UDP6_DNS_QUERY.subarray(48);

describe("builders reproduce known packets byte for byte", () => {
  test("UDP over IPv6", () => {
    const built = buildUdpPacket(
      { src: v6("fd00:198:18::1"), dst: v6("fd00:198:18::53"), srcPort: 53001, dstPort: 53 },
      DNS_QUERY,
    );
    expect(hex(ok(built))).toBe(hex(UDP6_DNS_QUERY));
  });

  test("TCP over IPv6", () => {
    const built = buildTcpPacket(
      {
        src: v6("2001:db8::1"),
        dst: v6("2001:db8::2"),
        ttl: 57,
        srcPort: 443,
        dstPort: 51000,
        seq: 0xfffffff0,
        ack: 0x80000001,
        flags: TcpFlag.Psh | TcpFlag.Ack,
        window: 501,
      },
      new TextEncoder().encode("HTTP/1.1 200 OK\r\n"),
    );
    expect(hex(ok(built))).toBe(hex(TCP6_PSH_ACK));
  });

  test("ICMPv6 echo request", () => {
    const built = buildIcmpEcho(
      {
        src: v6("fd00:2021:1111::1"),
        dst: v6("fd00:2021:1111:8000::7"),
        reply: false,
        id: 0xabcd,
        seq: 0x0102,
      },
      new TextEncoder().encode("pingpong"),
    );
    expect(hex(ok(built))).toBe(hex(ICMP6_ECHO_REQUEST));
  });
});

describe("building into a slot", () => {
  test("emitUdpPacket wraps a payload already in place without moving it", () => {
    const slot = new Uint8Array(1316);
    const offset = udpPayloadOffset(6);
    expect(offset).toBe(48);
    slot.set(DNS_QUERY, offset);
    const packet = ok(
      emitUdpPacket(
        slot,
        { src: v6("fd00:198:18::1"), dst: v6("fd00:198:18::53"), srcPort: 53001, dstPort: 53 },
        DNS_QUERY.length,
      ),
    );
    expect(packet.buffer).toBe(slot.buffer);
    expect(hex(packet)).toBe(hex(UDP6_DNS_QUERY));
    expect(udpPayloadOffset(4)).toBe(28);
  });

  test("refuses a slot too small, mixed families and misaligned TCP options", () => {
    const repr = { src: 1, dst: 2, srcPort: 3, dstPort: 4 };
    expect(kindOf(buildUdpPacket(repr, new Uint8Array(10), new Uint8Array(37)))).toBe(
      "buffer-too-small",
    );
    expect(kindOf(buildUdpPacket(repr, new Uint8Array(10), new Uint8Array(38)))).toBe("ok");
    expect(kindOf(buildUdpPacket({ ...repr, dst: v6("::1") }, new Uint8Array(0)))).toBe(
      "address-family",
    );
    expect(
      kindOf(buildUdpPacket({ ...repr, src: v6("::1"), dst: new Uint8Array(4) }, DNS_QUERY)),
    ).toBe("address-family");
    const tcp = { ...repr, seq: 0, ack: 0, flags: 0, window: 0, options: new Uint8Array(3) };
    expect(kindOf(buildTcpPacket(tcp, new Uint8Array(0)))).toBe("bad-header-len");
    expect(kindOf(buildUdpPacket(repr, new Uint8Array(0xffff)))).toBe("too-large");
  });
});

const endpoints = fc.oneof(
  fc.tuple(ipv4Address, ipv4Address),
  fc.tuple(ipv6Address, ipv6Address),
) as fc.Arbitrary<[IpAddress, IpAddress]>;
const data = fc.uint8Array({ maxLength: 1200 });
const ttl = fc.integer({ min: 0, max: 255 });

describe("build then parse round-trips", () => {
  test("UDP", () => {
    fc.assert(
      fc.property(
        endpoints,
        port,
        port,
        ttl,
        data,
        ([src, dst], srcPort, dstPort, hops, payload) => {
          const packet = ok(
            parseIpPacket(ok(buildUdpPacket({ src, dst, srcPort, dstPort, ttl: hops }, payload))),
          );
          expect(formatIpAddress(packet.src)).toBe(formatIpAddress(src));
          expect(formatIpAddress(packet.dst)).toBe(formatIpAddress(dst));
          expect(packet.version === 4 ? packet.ttl : packet.hopLimit).toBe(hops);
          const udp = ok(asUdp(packet));
          expect([udp.srcPort, udp.dstPort, udp.length]).toEqual([
            srcPort,
            dstPort,
            8 + payload.length,
          ]);
          expect(hex(udp.payload())).toBe(hex(payload));
          expect(udp.checksum).not.toBe(0);
          expect(transportChecksumValid(packet)).toBe(true);
          if (packet.version === 4) expect(packet.headerChecksumValid()).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("TCP", () => {
    fc.assert(
      fc.property(
        endpoints,
        fc.record({
          srcPort: port,
          dstPort: port,
          seq: fc.integer({ min: 0, max: 0xffffffff }),
          ack: fc.integer({ min: 0, max: 0xffffffff }),
          flags: fc.integer({ min: 0, max: 0xfff }),
          window: port,
          options: fc
            .integer({ min: 0, max: 10 })
            .chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n })),
        }),
        data,
        ([src, dst], fields, payload) => {
          const packet = ok(parseIpPacket(ok(buildTcpPacket({ src, dst, ...fields }, payload))));
          const tcp = ok(asTcp(packet));
          expect([tcp.srcPort, tcp.dstPort, tcp.seq, tcp.ack, tcp.flags, tcp.window]).toEqual([
            fields.srcPort,
            fields.dstPort,
            fields.seq,
            fields.ack,
            fields.flags,
            fields.window,
          ]);
          expect(tcp.headerLen).toBe(20 + fields.options.length);
          expect(hex(tcp.options())).toBe(hex(fields.options));
          expect(hex(tcp.payload())).toBe(hex(payload));
          expect(transportChecksumValid(packet)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("ICMP echo", () => {
    fc.assert(
      fc.property(
        endpoints,
        fc.boolean(),
        port,
        port,
        data,
        ([src, dst], reply, id, seq, payload) => {
          const packet = ok(
            parseIpPacket(ok(buildIcmpEcho({ src, dst, reply, id, seq }, payload))),
          );
          const icmp = packet.version === 4 ? ok(asIcmpv4(packet)) : ok(asIcmpv6(packet));
          expect(icmp.isEcho).toBe(true);
          expect(icmp.type).toBe(packet.version === 4 ? (reply ? 0 : 8) : reply ? 129 : 128);
          expect([icmp.echoId, icmp.echoSeq]).toEqual([id, seq]);
          expect(hex(icmp.payload())).toBe(hex(payload));
          expect(transportChecksumValid(packet)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
