import { describe, expect, test } from "bun:test";
import {
  asIcmpv4,
  asIcmpv6,
  buildDestinationUnreachable,
  buildIcmpv4Unreachable,
  buildIcmpv6Unreachable,
  buildUdpPacket,
  formatIpAddress,
  ICMPV4_ERROR_MAX_LEN,
  ICMPV6_ERROR_MAX_LEN,
  Icmpv4UnreachableCode,
  Icmpv6UnreachableCode,
  type IpPacket,
  Ipv4Packet,
  Ipv6Packet,
  icmpErrorAllowed,
  parseIpPacket,
  parseIpv4,
  parseIpv6,
  rewriteDestinationAddress,
  transportChecksumValid,
} from "@fz/ip-packet";
import fc from "fast-check";
import { arbitraryPacket } from "../test/arbitraries.ts";
import {
  ICMP4_PORT_UNREACHABLE,
  ICMP4_PROHIBITED_FOR_UDP4_DNS_QUERY,
  ICMP6_PORT_UNREACHABLE,
  ICMP6_PROHIBITED_FOR_UDP6_DNS_QUERY,
  P2P_GOODBYE,
  UDP4_DNS_QUERY,
  UDP4_LAST_FRAGMENT,
  UDP4_WITH_OPTIONS,
  UDP6_DNS_QUERY,
  UDP6_EXTENSIONS_LAST_FRAGMENT,
} from "../test/known-packets.ts";
import { hex, kindOf, ok } from "../test/support.ts";

const parse = (bytes: Uint8Array): IpPacket => ok(parseIpPacket(bytes));
const v6 = (text: string): Uint8Array => parseIpv6(text) ?? new Uint8Array();

describe("destination unreachable, known answers (checked by tshark)", () => {
  test("ICMPv4 administratively prohibited quotes the whole small packet", () => {
    const offending = ok(Ipv4Packet.checked(UDP4_DNS_QUERY));
    const error = buildIcmpv4Unreachable(offending, Icmpv4UnreachableCode.AdminProhibited);
    expect(hex(ok(error))).toBe(hex(ICMP4_PROHIBITED_FOR_UDP4_DNS_QUERY));
  });

  test("ICMPv6 administratively prohibited", () => {
    const offending = ok(Ipv6Packet.checked(UDP6_DNS_QUERY));
    const error = buildIcmpv6Unreachable(offending, Icmpv6UnreachableCode.AdminProhibited);
    expect(hex(ok(error))).toBe(hex(ICMP6_PROHIBITED_FOR_UDP6_DNS_QUERY));
  });

  test("the family-agnostic builder maps reasons to Firezone's codes", () => {
    const codeOf = (bytes: Uint8Array) => {
      const packet = parse(bytes);
      return packet.version === 4 ? ok(asIcmpv4(packet)).code : ok(asIcmpv6(packet)).code;
    };
    const v4 = parse(UDP4_DNS_QUERY);
    const v6packet = parse(UDP6_DNS_QUERY);
    expect(codeOf(ok(buildDestinationUnreachable(v4, "prohibited")))).toBe(13);
    expect(codeOf(ok(buildDestinationUnreachable(v4, "unreachable")))).toBe(0);
    expect(codeOf(ok(buildDestinationUnreachable(v6packet, "prohibited")))).toBe(1);
    expect(codeOf(ok(buildDestinationUnreachable(v6packet, "unreachable")))).toBe(3);
    const host = ok(buildIcmpv4Unreachable(ok(Ipv4Packet.checked(UDP4_DNS_QUERY)), 1));
    expect(codeOf(host)).toBe(1);
  });

  test("a source can be given, a ttl too", () => {
    const proxy = parseIpv4("100.96.0.9") ?? 0;
    const error = parse(
      ok(
        buildDestinationUnreachable(parse(UDP4_DNS_QUERY), "unreachable", {
          source: proxy,
          ttl: 20,
        }),
      ),
    );
    expect(error.version === 4 && [formatIpAddress(error.src), error.ttl]).toEqual([
      "100.96.0.9",
      20,
    ]);
    expect(
      kindOf(
        buildDestinationUnreachable(parse(UDP4_DNS_QUERY), "unreachable", { source: v6("::1") }),
      ),
    ).toBe("address-family");
  });
});

describe("destination unreachable sizes (RFC 1812 4.3.2.3, RFC 4443 2.4 c)", () => {
  test("ICMPv4 quotes as much as fits in 576 bytes", () => {
    const big = ok(
      buildUdpPacket(
        { src: 0x0a000001, dst: 0x0a000002, srcPort: 1, dstPort: 2 },
        new Uint8Array(1252),
      ),
    );
    expect(big.length).toBe(1280);
    const error = parse(ok(buildDestinationUnreachable(parse(big), "prohibited")));
    expect(error.bytes.length).toBe(ICMPV4_ERROR_MAX_LEN);
    const inner = ok(ok(asIcmpv4(error)).embedded());
    expect(inner.isTruncated).toBe(true);
    expect(hex(inner.bytes)).toBe(hex(big.subarray(0, 548)));
    expect(transportChecksumValid(error)).toBe(true);
  });

  test("ICMPv6 quotes as much as fits in 1280 bytes", () => {
    const big = ok(
      buildUdpPacket(
        { src: v6("fd00::1"), dst: v6("fd00::2"), srcPort: 1, dstPort: 2 },
        new Uint8Array(1232),
      ),
    );
    expect(big.length).toBe(1280);
    const error = parse(ok(buildDestinationUnreachable(parse(big), "unreachable")));
    expect(error.bytes.length).toBe(ICMPV6_ERROR_MAX_LEN);
    expect(hex(ok(ok(asIcmpv6(error)).embedded()).bytes)).toBe(hex(big.subarray(0, 1232)));
    expect(transportChecksumValid(error)).toBe(true);
  });

  test("the IPv4 quote keeps the header options", () => {
    // UDP4_WITH_OPTIONS goes to a multicast group; send it to a unicast host instead.
    const unicast = UDP4_WITH_OPTIONS.slice();
    expect(rewriteDestinationAddress(parse(unicast), 0xc0000202)).toBeUndefined();
    const error = parse(ok(buildDestinationUnreachable(parse(unicast), "prohibited")));
    expect(hex(ok(ok(asIcmpv4(error)).embedded()).bytes)).toBe(hex(unicast));
    expect(ok(ok(asIcmpv4(error)).embedded()).headerLen).toBe(24);
  });

  test("can be built in place, over the offending packet's own slot", () => {
    const slot = new Uint8Array(1316);
    slot.set(UDP6_DNS_QUERY);
    const offending = parse(slot.subarray(0, UDP6_DNS_QUERY.length));
    const error = ok(buildDestinationUnreachable(offending, "prohibited", {}, slot));
    expect(error.buffer).toBe(slot.buffer);
    expect(hex(error)).toBe(hex(ICMP6_PROHIBITED_FOR_UDP6_DNS_QUERY));
  });

  test("refuses an output buffer too small", () => {
    expect(
      kindOf(
        buildDestinationUnreachable(parse(UDP4_DNS_QUERY), "prohibited", {}, new Uint8Array(60)),
      ),
    ).toBe("buffer-too-small");
  });
});

describe("no ICMP error where the RFCs forbid one", () => {
  test("about ICMP errors", () => {
    expect(icmpErrorAllowed(parse(ICMP4_PORT_UNREACHABLE))).toBe(false);
    expect(icmpErrorAllowed(parse(ICMP6_PORT_UNREACHABLE))).toBe(false);
    expect(kindOf(buildDestinationUnreachable(parse(ICMP4_PORT_UNREACHABLE), "prohibited"))).toBe(
      "icmp-error-not-allowed",
    );
  });

  test("about fragments past the first", () => {
    expect(icmpErrorAllowed(parse(UDP4_LAST_FRAGMENT))).toBe(false);
    expect(icmpErrorAllowed(parse(UDP6_EXTENSIONS_LAST_FRAGMENT))).toBe(false);
  });

  test("to multicast or broadcast, or from no single host", () => {
    const udp = (src: number, dst: number) =>
      parse(ok(buildUdpPacket({ src, dst, srcPort: 1, dstPort: 2 }, new Uint8Array(4))));
    expect(icmpErrorAllowed(udp(0x0a000001, 0xe0000016))).toBe(false); // to 224.0.0.22
    expect(icmpErrorAllowed(udp(0x0a000001, 0xffffffff))).toBe(false);
    expect(icmpErrorAllowed(udp(0, 0x0a000001))).toBe(false);
    expect(icmpErrorAllowed(udp(0xe0000001, 0x0a000001))).toBe(false);
    expect(icmpErrorAllowed(udp(0x0a000001, 0x0a000002))).toBe(true);
    const udp6 = (src: string, dst: string) =>
      parse(
        ok(
          buildUdpPacket({ src: v6(src), dst: v6(dst), srcPort: 1, dstPort: 2 }, new Uint8Array(4)),
        ),
      );
    expect(icmpErrorAllowed(udp6("fd00::1", "ff02::1"))).toBe(false);
    expect(icmpErrorAllowed(udp6("::", "fd00::1"))).toBe(false);
    expect(icmpErrorAllowed(udp6("fd00::1", "fd00::2"))).toBe(true);
    expect(icmpErrorAllowed(parse(P2P_GOODBYE))).toBe(false);
  });
});

describe("destination unreachable property", () => {
  test("embeds the start of the packet, addressed back to its source, checksums right", () => {
    fc.assert(
      fc.property(
        arbitraryPacket,
        fc.constantFrom("prohibited" as const, "unreachable" as const),
        (generated, reason) => {
          const offending = parse(generated.bytes);
          const built = buildDestinationUnreachable(offending, reason);
          if (!icmpErrorAllowed(offending)) {
            expect(kindOf(built)).toBe("icmp-error-not-allowed");
            return;
          }
          const error = parse(ok(built));
          expect(formatIpAddress(error.src)).toBe(formatIpAddress(offending.dst));
          expect(formatIpAddress(error.dst)).toBe(formatIpAddress(offending.src));
          const icmp = error.version === 4 ? ok(asIcmpv4(error)) : ok(asIcmpv6(error));
          expect(icmp.isError).toBe(true);
          const max = error.version === 4 ? 576 : 1280;
          expect(error.bytes.length).toBe(
            Math.min(max, error.headerLen + 8 + generated.bytes.length),
          );
          const inner = ok(icmp.embedded());
          expect(hex(generated.bytes.subarray(0, inner.bytes.length))).toBe(hex(inner.bytes));
          expect(transportChecksumValid(error)).toBe(true);
          if (error.version === 4) expect(error.headerChecksumValid()).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
