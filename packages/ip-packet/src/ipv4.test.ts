import { describe, expect, test } from "bun:test";
import { formatIpv4, IpProtocol, Ipv4Packet, parseIpv4 } from "@fz/ip-packet";
import {
  TCP4_SYN,
  UDP4_DNS_QUERY,
  UDP4_FIRST_FRAGMENT,
  UDP4_LAST_FRAGMENT,
  UDP4_WITH_OPTIONS,
} from "../test/known-packets.ts";
import { kindOf, ok, within } from "../test/support.ts";

describe("Ipv4Packet.checked on known packets", () => {
  test("reads every header field of a UDP query", () => {
    const ip = ok(Ipv4Packet.checked(UDP4_DNS_QUERY));
    expect(ip.version).toBe(4);
    expect(ip.headerLen).toBe(20);
    expect(ip.dscp).toBe(0);
    expect(ip.ecn).toBe(0);
    expect(ip.totalLen).toBe(57);
    expect(ip.ident).toBe(0x1c46);
    expect(ip.dontFragment).toBe(true);
    expect(ip.moreFragments).toBe(false);
    expect(ip.fragmentOffsetBytes).toBe(0);
    expect(ip.isFragment).toBe(false);
    expect(ip.isFirstFragment).toBe(false);
    expect(ip.hasTransportHeader).toBe(true);
    expect(ip.ttl).toBe(64);
    expect(ip.protocol).toBe(IpProtocol.Udp);
    expect(ip.checksum).toBe(0x3204);
    expect(formatIpv4(ip.src)).toBe("192.0.2.1");
    expect(formatIpv4(ip.dst)).toBe("198.51.100.53");
    expect(ip.src).toBe(parseIpv4("192.0.2.1") ?? -1);
    expect(ip.headerChecksumValid()).toBe(true);
    expect(ip.computeHeaderChecksum()).toBe(0x3204);
    expect(ip.isTruncated).toBe(false);
    expect(ip.payload().length).toBe(37);
    expect(within(ip.payload(), UDP4_DNS_QUERY)).toBe(true);
  });

  test("addresses are unsigned: 198.51.100.53 reads as a positive number", () => {
    const ip = ok(Ipv4Packet.checked(UDP4_DNS_QUERY));
    expect(ip.dst).toBe(0xc6336435);
    expect(ip.dst).toBeGreaterThan(0);
  });

  test("exposes options and starts the payload after them", () => {
    const ip = ok(Ipv4Packet.checked(UDP4_WITH_OPTIONS));
    expect(ip.headerLen).toBe(24);
    expect([...ip.options()]).toEqual([0x94, 0x04, 0x00, 0x00]);
    expect(ip.ttl).toBe(1);
    expect(formatIpv4(ip.dst)).toBe("224.0.0.22");
    expect(ip.payload()[0]).toBe(0x03); // UDP source port 1000 = 0x03e8
    expect(ip.headerChecksumValid()).toBe(true);
  });

  test("recognises a first fragment and a later fragment", () => {
    const first = ok(Ipv4Packet.checked(UDP4_FIRST_FRAGMENT));
    expect(first.moreFragments).toBe(true);
    expect(first.fragmentOffsetBytes).toBe(0);
    expect(first.isFragment).toBe(true);
    expect(first.isFirstFragment).toBe(true);
    expect(first.hasTransportHeader).toBe(true);
    expect(first.ident).toBe(0x4242);

    const last = ok(Ipv4Packet.checked(UDP4_LAST_FRAGMENT));
    expect(last.moreFragments).toBe(false);
    expect(last.fragmentOffsetBytes).toBe(24);
    expect(last.isFragment).toBe(true);
    expect(last.isFirstFragment).toBe(false);
    expect(last.hasTransportHeader).toBe(false);
  });

  test("trims trailing bytes past the total length", () => {
    const padded = new Uint8Array(TCP4_SYN.length + 6);
    padded.set(TCP4_SYN);
    const ip = ok(Ipv4Packet.checked(padded));
    expect(ip.bytes.length).toBe(TCP4_SYN.length);
    expect(ip.payload().length).toBe(40);
  });
});

describe("Ipv4Packet.checked refuses", () => {
  test("fewer than 20 bytes", () => {
    expect(kindOf(Ipv4Packet.checked(UDP4_DNS_QUERY.subarray(0, 19)))).toBe("truncated");
    expect(kindOf(Ipv4Packet.checked(new Uint8Array(0)))).toBe("truncated");
  });

  test("another version", () => {
    const bytes = UDP4_DNS_QUERY.slice();
    bytes[0] = 0x65;
    expect(kindOf(Ipv4Packet.checked(bytes))).toBe("bad-version");
  });

  test("an IHL below 5", () => {
    const bytes = UDP4_DNS_QUERY.slice();
    bytes[0] = 0x44;
    expect(kindOf(Ipv4Packet.checked(bytes))).toBe("bad-header-len");
  });

  test("options that run past the bytes", () => {
    const bytes = UDP4_DNS_QUERY.slice(0, 24);
    bytes[0] = 0x47; // 28-byte header
    expect(kindOf(Ipv4Packet.checked(bytes))).toBe("truncated");
  });

  test("a total length shorter than the header", () => {
    const bytes = UDP4_WITH_OPTIONS.slice();
    bytes[2] = 0;
    bytes[3] = 22;
    expect(kindOf(Ipv4Packet.checked(bytes))).toBe("bad-length");
  });

  test("a total length longer than the bytes", () => {
    expect(kindOf(Ipv4Packet.checked(UDP4_DNS_QUERY.subarray(0, 56)))).toBe("truncated");
  });
});

describe("Ipv4Packet.checkedPrefix", () => {
  test("accepts a cut payload and says it is truncated", () => {
    const ip = ok(Ipv4Packet.checkedPrefix(UDP4_DNS_QUERY.subarray(0, 28)));
    expect(ip.isTruncated).toBe(true);
    expect(ip.totalLen).toBe(57);
    expect(ip.payload().length).toBe(8);
  });

  test("still needs the whole header", () => {
    expect(kindOf(Ipv4Packet.checkedPrefix(UDP4_WITH_OPTIONS.subarray(0, 22)))).toBe("truncated");
  });
});

describe("Ipv4Packet.unchecked setters", () => {
  test("write the fields in network order and fill a verifiable checksum", () => {
    const bytes = new Uint8Array(28);
    const ip = Ipv4Packet.unchecked(bytes);
    ip.headerLen = 20;
    ip.totalLen = 28;
    ip.ident = 0xabcd;
    ip.setFragment(true, false, 0);
    ip.ttl = 17;
    ip.protocol = IpProtocol.Tcp;
    ip.src = 0xc0000201;
    ip.dst = 0xffffffff;
    ip.fillHeaderChecksum();
    expect([...bytes.subarray(0, 20)]).toEqual([
      0x45,
      0x00,
      0x00,
      0x1c,
      0xab,
      0xcd,
      0x40,
      0x00,
      0x11,
      0x06,
      ip.checksum >>> 8,
      ip.checksum & 0xff,
      192,
      0,
      2,
      1,
      255,
      255,
      255,
      255,
    ]);
    expect(ok(Ipv4Packet.checked(bytes)).headerChecksumValid()).toBe(true);
    ip.setFragment(false, true, 1480);
    expect(ip.fragmentOffsetBytes).toBe(1480);
    expect(ip.moreFragments).toBe(true);
    expect(ip.dontFragment).toBe(false);
  });
});
