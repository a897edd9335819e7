import { describe, expect, test } from "bun:test";
import { asIcmpv4, asIcmpv6, asTcp, asUdp, isPartial, parseIpPacket } from "@fz/ip-packet";
import {
  ICMP4_ECHO_REQUEST,
  ICMP6_ECHO_REQUEST,
  TCP4_SYN,
  TCP6_PSH_ACK,
  UDP4_DNS_QUERY,
  UDP4_FIRST_FRAGMENT,
  UDP4_LAST_FRAGMENT,
  UDP6_EXTENSIONS_FIRST_FRAGMENT,
  UDP6_EXTENSIONS_LAST_FRAGMENT,
} from "../test/known-packets.ts";
import { kindOf, ok } from "../test/support.ts";

const parse = (bytes: Uint8Array) => ok(parseIpPacket(bytes));

describe("transport views of IP packets", () => {
  test("match the protocol", () => {
    expect(ok(asUdp(parse(UDP4_DNS_QUERY))).dstPort).toBe(53);
    expect(ok(asTcp(parse(TCP4_SYN))).dstPort).toBe(443);
    expect(ok(asTcp(parse(TCP6_PSH_ACK))).srcPort).toBe(443);
    expect(ok(asIcmpv4(parse(ICMP4_ECHO_REQUEST))).echoId).toBe(0x1234);
    expect(ok(asIcmpv6(parse(ICMP6_ECHO_REQUEST))).echoId).toBe(0xabcd);
  });

  test("refuse the wrong protocol and ICMP of the other family", () => {
    expect(kindOf(asTcp(parse(UDP4_DNS_QUERY)))).toBe("wrong-protocol");
    expect(kindOf(asUdp(parse(TCP4_SYN)))).toBe("wrong-protocol");
    expect(kindOf(asIcmpv6(parse(ICMP4_ECHO_REQUEST)))).toBe("wrong-protocol");
    expect(kindOf(asIcmpv4(parse(ICMP6_ECHO_REQUEST)))).toBe("wrong-protocol");
  });

  test("read the UDP header of a first fragment as a prefix", () => {
    for (const bytes of [UDP4_FIRST_FRAGMENT, UDP6_EXTENSIONS_FIRST_FRAGMENT]) {
      const packet = parse(bytes);
      expect(isPartial(packet)).toBe(true);
      const udp = ok(asUdp(packet));
      expect(udp.length).toBeGreaterThan(udp.bytes.length);
    }
    expect(ok(asUdp(parse(UDP4_FIRST_FRAGMENT))).srcPort).toBe(5000);
    expect(ok(asUdp(parse(UDP6_EXTENSIONS_FIRST_FRAGMENT))).srcPort).toBe(7000);
  });

  test("refuse fragments past the first", () => {
    expect(kindOf(asUdp(parse(UDP4_LAST_FRAGMENT)))).toBe("not-first-fragment");
    expect(kindOf(asUdp(parse(UDP6_EXTENSIONS_LAST_FRAGMENT)))).toBe("not-first-fragment");
  });

  test("refuse a whole packet whose UDP length disagrees", () => {
    const bytes = UDP4_DNS_QUERY.slice();
    bytes[25] = 99; // UDP length 99 in a 37-byte datagram
    expect(kindOf(asUdp(parse(bytes)))).toBe("truncated");
  });
});
