import { describe, expect, test } from "bun:test";
import {
  asIcmpv4,
  asIcmpv6,
  buildIcmpEcho,
  fillChecksums,
  type IpPacket,
  parseIpPacket,
  parseIpv4,
  parseIpv6,
  rewriteDestinationAddress,
  rewriteDestinationPort,
  rewriteEmbeddedDestinationAddress,
  rewriteEmbeddedDestinationPort,
  rewriteEmbeddedSourceAddress,
  rewriteEmbeddedSourcePort,
  rewriteSourceAddress,
  rewriteSourcePort,
  transportChecksumField,
  transportChecksumValid,
  type WireError,
} from "@fz/ip-packet";
import fc from "fast-check";
import { arbitraryPacket, ipv4Address, ipv6Address, port } from "../test/arbitraries.ts";
import {
  ICMP4_ECHO_REQUEST,
  ICMP4_PORT_UNREACHABLE,
  ICMP4_PORT_UNREACHABLE_TRANSLATED,
  ICMP4_TIME_EXCEEDED,
  ICMP6_PORT_UNREACHABLE,
  ICMP6_PORT_UNREACHABLE_TRANSLATED,
  UDP4_DNS_QUERY,
} from "../test/known-packets.ts";
import { hex, kindOf, ok } from "../test/support.ts";

/** Property runs take about a second; a loaded 2-core machine must not time them out. */
const PROPERTY_TIMEOUT_MS = 60_000;

const parse = (bytes: Uint8Array): IpPacket => ok(parseIpPacket(bytes));

/** An ICMP error (type 3 / 1) from `src` to `dst` embedding `quoted`, checksums computed. */
function errorAround(version: 4 | 6, quoted: Uint8Array): Uint8Array {
  const src = version === 4 ? 0x0a000001 : (parseIpv6("fd00::1") ?? new Uint8Array());
  const dst = version === 4 ? 0x0a000002 : (parseIpv6("fd00::2") ?? new Uint8Array());
  const bytes = ok(buildIcmpEcho({ src, dst, reply: false, id: 0, seq: 0 }, quoted));
  bytes[version === 4 ? 20 : 40] = version === 4 ? 3 : 1;
  fillChecksums(parse(bytes));
  return bytes;
}

describe("translating an ICMP error back through the NAT (expected bytes checked by tshark)", () => {
  test("IPv4: outer source, embedded destination and embedded source port", () => {
    const bytes = ICMP4_PORT_UNREACHABLE.slice();
    const packet = parse(bytes);
    const proxy = parseIpv4("100.96.0.5") ?? 0;
    expect(rewriteSourceAddress(packet, proxy)).toBeUndefined();
    expect(rewriteEmbeddedDestinationAddress(packet, proxy)).toBeUndefined();
    expect(rewriteEmbeddedSourcePort(packet, 40000)).toBeUndefined();
    expect(hex(bytes)).toBe(hex(ICMP4_PORT_UNREACHABLE_TRANSLATED));
  });

  test("IPv6: the same, with the ICMPv6 pseudo-header", () => {
    const bytes = ICMP6_PORT_UNREACHABLE.slice();
    const packet = parse(bytes);
    const proxy = parseIpv6("fd00:2021:1111:8000::5") ?? new Uint8Array();
    expect(rewriteSourceAddress(packet, proxy)).toBeUndefined();
    expect(rewriteEmbeddedDestinationAddress(packet, proxy)).toBeUndefined();
    expect(rewriteEmbeddedSourcePort(packet, 40000)).toBeUndefined();
    expect(hex(bytes)).toBe(hex(ICMP6_PORT_UNREACHABLE_TRANSLATED));
  });

  test("an embedded TCP header cut before its checksum still gets its port", () => {
    const bytes = ICMP4_TIME_EXCEEDED.slice();
    const packet = parse(bytes);
    expect(rewriteEmbeddedSourcePort(packet, 1234)).toBeUndefined();
    expect(rewriteEmbeddedDestinationAddress(packet, 0x01020304)).toBeUndefined();
    expect(transportChecksumValid(packet)).toBe(true);
    const inner = ok(ok(asIcmpv4(packet)).embedded());
    expect(inner.headerChecksumValid()).toBe(true);
    expect(inner.dst).toBe(0x01020304);
    expect(bytes[48]).toBe(1234 >>> 8);
    expect(bytes[49]).toBe(1234 & 0xff);
  });

  test("refuses what is not an ICMP error, leaving it untouched", () => {
    const echo = ICMP4_ECHO_REQUEST.slice();
    expect(kindOf(rewriteEmbeddedSourcePort(parse(echo), 1))).toBe("not-an-error");
    const udp = UDP4_DNS_QUERY.slice();
    expect(kindOf(rewriteEmbeddedDestinationAddress(parse(udp), 1))).toBe("wrong-protocol");
    expect(hex(echo)).toBe(hex(ICMP4_ECHO_REQUEST));
    expect(hex(udp)).toBe(hex(UDP4_DNS_QUERY));
    const v6 = ICMP6_PORT_UNREACHABLE.slice();
    expect(kindOf(rewriteEmbeddedSourceAddress(parse(v6), 1))).toBe("address-family");
    expect(hex(v6)).toBe(hex(ICMP6_PORT_UNREACHABLE));
  });
});

type EmbeddedOp = "source-address" | "destination-address" | "source-port" | "destination-port";

describe("embedded rewrite property", () => {
  test(
    "equals rewriting the original packet and quoting it again, every checksum right",
    () => {
      fc.assert(
        fc.property(
          arbitraryPacket,
          fc.constantFrom<EmbeddedOp>(
            "source-address",
            "destination-address",
            "source-port",
            "destination-port",
          ),
          ipv4Address,
          ipv6Address,
          port,
          fc.nat(),
          (generated, op, a4, a6, newPort, cutSeed) => {
            const inner = parse(generated.bytes);
            const minCut = inner.headerLen + 8;
            fc.pre(generated.bytes.length >= minCut);
            const cut = minCut + (cutSeed % (generated.bytes.length - minCut + 1));
            // A quote that ends between the two bytes of the transport checksum leaves it unknowable.
            const field = transportChecksumField(inner.version, inner.protocol);
            fc.pre(field < 0 || cut !== inner.headerLen + field + 1);
            const version = inner.version;
            const address = version === 4 ? a4 : a6;
            const bytes = errorAround(version, generated.bytes.subarray(0, cut));
            const packet = parse(bytes);

            let result: WireError | undefined;
            let reference: WireError | undefined;
            const rewritten = generated.bytes.slice();
            const whole = parse(rewritten);
            switch (op) {
              case "source-address":
                result = rewriteEmbeddedSourceAddress(packet, address);
                reference = rewriteSourceAddress(whole, address);
                break;
              case "destination-address":
                result = rewriteEmbeddedDestinationAddress(packet, address);
                reference = rewriteDestinationAddress(whole, address);
                break;
              case "source-port":
                result = rewriteEmbeddedSourcePort(packet, newPort);
                reference = rewriteSourcePort(whole, newPort);
                break;
              case "destination-port":
                result = rewriteEmbeddedDestinationPort(packet, newPort);
                reference = rewriteDestinationPort(whole, newPort);
                break;
            }
            expect(kindOf(result)).toBe(kindOf(reference));
            const expected =
              reference === undefined ? errorAround(version, rewritten.subarray(0, cut)) : bytes;
            expect(hex(bytes)).toBe(hex(expected));
            expect(transportChecksumValid(packet)).toBe(true);
            const embedded = ok(
              packet.version === 4
                ? ok(asIcmpv4(packet)).embedded()
                : ok(asIcmpv6(packet)).embedded(),
            );
            if (embedded.version === 4) expect(embedded.headerChecksumValid()).toBe(true);
          },
        ),
        { numRuns: 2000 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
