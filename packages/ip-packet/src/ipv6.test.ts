import { describe, expect, test } from "bun:test";
import { formatIpv6, IpProtocol, Ipv6Packet, MAX_IPV6_EXTENSION_HEADERS } from "@fz/ip-packet";
import {
  TCP6_PSH_ACK,
  UDP6_DNS_QUERY,
  UDP6_EXTENSIONS_FIRST_FRAGMENT,
  UDP6_EXTENSIONS_LAST_FRAGMENT,
} from "../test/known-packets.ts";
import { kindOf, ok, within } from "../test/support.ts";

/** An IPv6 packet with the given raw extension headers and upper-layer bytes. */
function withChain(first: number, chain: readonly number[][], upper: readonly number[]) {
  const body = [...chain.flat(), ...upper];
  const bytes = new Uint8Array(40 + body.length);
  bytes[0] = 0x60;
  bytes[4] = body.length >>> 8;
  bytes[5] = body.length & 0xff;
  bytes[6] = first;
  bytes[7] = 64;
  bytes.set(body, 40);
  return bytes;
}

describe("Ipv6Packet.checked on known packets", () => {
  test("reads every fixed header field", () => {
    const ip = ok(Ipv6Packet.checked(TCP6_PSH_ACK));
    expect(ip.version).toBe(6);
    expect(ip.trafficClass).toBe(0);
    expect(ip.flowLabel).toBe(0);
    expect(ip.payloadLen).toBe(37);
    expect(ip.totalLen).toBe(77);
    expect(ip.nextHeader).toBe(IpProtocol.Tcp);
    expect(ip.protocol).toBe(IpProtocol.Tcp);
    expect(ip.hopLimit).toBe(57);
    expect(formatIpv6(ip.src)).toBe("2001:db8::1");
    expect(formatIpv6(ip.dst)).toBe("2001:db8::2");
    expect(within(ip.src, TCP6_PSH_ACK)).toBe(true);
    expect(ip.headerLen).toBe(40);
    expect(ip.extensionHeaders().length).toBe(0);
    expect(ip.hasFragmentHeader).toBe(false);
    expect(ip.isFragment).toBe(false);
    expect(ip.hasTransportHeader).toBe(true);
    expect(ip.fragmentOffsetBytes).toBe(0);
    expect(ip.fragmentId).toBe(0);
    expect(ip.payload().length).toBe(37);
  });

  test("walks hop-by-hop, destination options and a first fragment header to UDP", () => {
    const ip = ok(Ipv6Packet.checked(UDP6_EXTENSIONS_FIRST_FRAGMENT));
    expect(ip.nextHeader).toBe(IpProtocol.HopByHop);
    expect(ip.protocol).toBe(IpProtocol.Udp);
    expect(ip.headerLen).toBe(64);
    expect(ip.extensionHeaders().length).toBe(24);
    expect(ip.hasFragmentHeader).toBe(true);
    expect(ip.fragmentId).toBe(0xdeadbeef);
    expect(ip.moreFragments).toBe(true);
    expect(ip.fragmentOffsetBytes).toBe(0);
    expect(ip.isFragment).toBe(true);
    expect(ip.isFirstFragment).toBe(true);
    expect(ip.hasTransportHeader).toBe(true);
    expect([...ip.payload().subarray(0, 4)]).toEqual([0x1b, 0x58, 0x1f, 0x40]); // 7000 -> 8000
  });

  test("stops at the fragment header of a later fragment", () => {
    const ip = ok(Ipv6Packet.checked(UDP6_EXTENSIONS_LAST_FRAGMENT));
    expect(ip.protocol).toBe(IpProtocol.Udp);
    expect(ip.headerLen).toBe(64);
    expect(ip.fragmentOffsetBytes).toBe(16);
    expect(ip.moreFragments).toBe(false);
    expect(ip.isFragment).toBe(true);
    expect(ip.isFirstFragment).toBe(false);
    expect(ip.hasTransportHeader).toBe(false);
    expect(ip.payload()[0]).toBe(108); // data byte 108, not a port
  });

  test("does not walk into the data of a later fragment even if it looks like a header", () => {
    // The data after the fragment header begins with what would be a routing header.
    const bytes = withChain(44, [[43, 0, 0, 8, 0, 0, 0, 1]], [17, 200, 0, 0, 0, 0, 0, 0]);
    const ip = ok(Ipv6Packet.checked(bytes));
    expect(ip.protocol).toBe(43);
    expect(ip.headerLen).toBe(48);
    expect(ip.hasTransportHeader).toBe(false);
  });

  test("treats an atomic fragment (offset 0, no M) as a whole packet", () => {
    const bytes = withChain(44, [[17, 0, 0, 0, 0, 0, 0, 9]], [0, 1, 0, 2, 0, 8, 0, 0]);
    const ip = ok(Ipv6Packet.checked(bytes));
    expect(ip.hasFragmentHeader).toBe(true);
    expect(ip.isFragment).toBe(false);
    expect(ip.hasTransportHeader).toBe(true);
    expect(ip.protocol).toBe(IpProtocol.Udp);
    expect(ip.headerLen).toBe(48);
  });

  test("steps over AH by its 4-byte units", () => {
    // AH payload length 4: (4 + 2) * 4 = 24 bytes.
    const ah = [6, 4, 0, 0, ...new Array<number>(20).fill(0)];
    const ip = ok(Ipv6Packet.checked(withChain(51, [ah], new Array<number>(20).fill(0))));
    expect(ip.protocol).toBe(IpProtocol.Tcp);
    expect(ip.headerLen).toBe(64);
  });

  test("takes a routing header with a length beyond 8 bytes", () => {
    const routing = [IpProtocol.Icmpv6, 2, 0, 0, ...new Array<number>(20).fill(0)];
    const ip = ok(Ipv6Packet.checked(withChain(43, [routing], [128, 0, 0, 0, 0, 0, 0, 0])));
    expect(ip.protocol).toBe(IpProtocol.Icmpv6);
    expect(ip.headerLen).toBe(64);
  });

  test("reports an unknown or final next header as the upper layer", () => {
    const ip = ok(Ipv6Packet.checked(withChain(IpProtocol.Ipv6NoNext, [], [1, 2, 3])));
    expect(ip.protocol).toBe(59);
    expect(ip.payload().length).toBe(3);
  });
});

describe("Ipv6Packet.checked refuses", () => {
  test("fewer than 40 bytes and another version", () => {
    expect(kindOf(Ipv6Packet.checked(UDP6_DNS_QUERY.subarray(0, 39)))).toBe("truncated");
    const bytes = UDP6_DNS_QUERY.slice();
    bytes[0] = 0x45;
    expect(kindOf(Ipv6Packet.checked(bytes))).toBe("bad-version");
  });

  test("a payload length past the bytes", () => {
    expect(kindOf(Ipv6Packet.checked(UDP6_DNS_QUERY.subarray(0, 60)))).toBe("truncated");
  });

  test("an extension header that runs past the payload", () => {
    const bytes = withChain(60, [[17, 1, 1, 4, 0, 0, 0, 0]], [0, 0, 0, 0]);
    expect(kindOf(Ipv6Packet.checked(bytes))).toBe("truncated");
    expect(kindOf(Ipv6Packet.checked(withChain(0, [], [17, 0, 1, 2])))).toBe("truncated");
  });

  test("hop-by-hop anywhere but first", () => {
    const bytes = withChain(
      60,
      [
        [0, 0, 1, 4, 0, 0, 0, 0],
        [17, 0, 1, 4, 0, 0, 0, 0],
      ],
      [],
    );
    expect(kindOf(Ipv6Packet.checked(bytes))).toBe("bad-extension-header");
  });

  test("two fragment headers", () => {
    const bytes = withChain(
      44,
      [
        [44, 0, 0, 0, 0, 0, 0, 1],
        [17, 0, 0, 0, 0, 0, 0, 1],
      ],
      [],
    );
    expect(kindOf(Ipv6Packet.checked(bytes))).toBe("bad-extension-header");
  });

  test("more extension headers than the limit", () => {
    const many = Array.from({ length: MAX_IPV6_EXTENSION_HEADERS + 1 }, (_, i) => [
      i === MAX_IPV6_EXTENSION_HEADERS ? 17 : 60,
      0,
      1,
      4,
      0,
      0,
      0,
      0,
    ]);
    expect(kindOf(Ipv6Packet.checked(withChain(60, many, [])))).toBe("too-many-extension-headers");
    expect(kindOf(Ipv6Packet.checked(withChain(60, many.slice(1), [])))).toBe("ok");
  });
});

describe("Ipv6Packet.checkedPrefix and unchecked", () => {
  test("a prefix may end inside the payload but not inside the header chain", () => {
    const prefix = ok(Ipv6Packet.checkedPrefix(UDP6_EXTENSIONS_FIRST_FRAGMENT.subarray(0, 68)));
    expect(prefix.isTruncated).toBe(true);
    expect(prefix.protocol).toBe(IpProtocol.Udp);
    expect(prefix.payload().length).toBe(4);
    expect(kindOf(Ipv6Packet.checkedPrefix(UDP6_EXTENSIONS_FIRST_FRAGMENT.subarray(0, 60)))).toBe(
      "truncated",
    );
  });

  test("setters write the fields and the next walk sees a new next header", () => {
    const bytes = UDP6_DNS_QUERY.slice();
    const ip = Ipv6Packet.unchecked(bytes);
    expect(ip.protocol).toBe(IpProtocol.Udp);
    ip.nextHeader = IpProtocol.Tcp;
    expect(ip.protocol).toBe(IpProtocol.Tcp);
    ip.hopLimit = 1;
    ip.payloadLen = 8;
    const dst = new Uint8Array(16).fill(0xee);
    ip.dst = dst;
    expect(bytes[7]).toBe(1);
    expect(bytes[5]).toBe(8);
    expect(formatIpv6(ip.dst)).toBe("eeee:eeee:eeee:eeee:eeee:eeee:eeee:eeee");
    expect(ip.totalLen).toBe(48);
  });
});
