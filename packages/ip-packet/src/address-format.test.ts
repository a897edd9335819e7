import { describe, expect, test } from "bun:test";
import {
  formatIpAddress,
  formatIpv4,
  formatIpv4Bytes,
  formatIpv6,
  ipv6Equal,
  parseIpAddress,
  parseIpv4,
  parseIpv6,
} from "@fz/ip-packet";
import fc from "fast-check";
import { hex } from "../test/support.ts";

/** 16 bytes whose groups are often zero or small, so zero runs of every length occur. */
const zeroHeavyIpv6 = fc
  .array(
    fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff })),
    { minLength: 8, maxLength: 8 },
  )
  .map((groups) => {
    const bytes = new Uint8Array(16);
    groups.forEach((group, i) => {
      bytes[i * 2] = group >> 8;
      bytes[i * 2 + 1] = group & 0xff;
    });
    return bytes;
  });

/** What the WHATWG URL parser, an independent implementation, makes of an IPv6 address. */
function urlCanonical(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

describe("IPv4 text", () => {
  test("formats and parses dotted quads", () => {
    expect(formatIpv4(0)).toBe("0.0.0.0");
    expect(formatIpv4(0xffffffff)).toBe("255.255.255.255");
    expect(formatIpv4(0x64600001)).toBe("100.96.0.1");
    expect(parseIpv4("100.96.0.1")).toBe(0x64600001);
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
    expect(parseIpv4("198.18.0.1")).toBe(0xc6120001);
    expect(parseIpv4("0.0.0.0")).toBe(0);
  });

  test("formatIpv4Bytes writes the dotted quad at an offset, as formatIpv4 does its number", () => {
    expect(formatIpv4Bytes(Uint8Array.of(9, 198, 18, 0, 1), 1)).toBe("198.18.0.1");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (addr) => {
        const bytes = new Uint8Array(6);
        new DataView(bytes.buffer).setUint32(2, addr);
        expect(formatIpv4Bytes(bytes, 2)).toBe(formatIpv4(addr));
      }),
    );
  });

  test("refuses what is not a strict dotted quad", () => {
    for (const text of [
      "1.2.3",
      "1.2.3.4.5",
      "256.0.0.1",
      "01.2.3.4",
      "1.2.3.-4",
      "a.b.c.d",
      "",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1..3.4",
      "1.2.3.4/32",
    ]) {
      expect({ text, addr: parseIpv4(text) }).toEqual({ text, addr: undefined });
    }
  });

  test("round-trips every address", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (addr) => {
        expect(parseIpv4(formatIpv4(addr))).toBe(addr);
      }),
    );
  });
});

describe("IPv6 text (RFC 5952)", () => {
  const cases: [string, string][] = [
    ["00000000000000000000000000000000", "::"],
    ["00000000000000000000000000000001", "::1"],
    ["20010db8000000000000000000000001", "2001:db8::1"],
    ["20010db8000000010000000000000001", "2001:db8:0:1::1"],
    ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
    ["20010db8000100010001000100010001", "2001:db8:1:1:1:1:1:1"],
    ["20010db800000001000100010001ffff", "2001:db8:0:1:1:1:1:ffff"],
    ["fd002021111180000000000000000000", "fd00:2021:1111:8000::"],
    ["00000000000000000000ffffc0000201", "::ffff:192.0.2.1"],
  ];

  test("formats with the longest zero run compressed, single zeros kept", () => {
    for (const [bytes, text] of cases) {
      expect(formatIpv6(Uint8Array.from(Buffer.from(bytes, "hex")))).toBe(text);
    }
  });

  test("parses the canonical forms and the long ones", () => {
    for (const [bytes, text] of cases) expect(hex(parseIpv6(text) ?? new Uint8Array())).toBe(bytes);
    expect(hex(parseIpv6("2001:DB8:0:0:0:0:0:1") ?? new Uint8Array())).toBe(cases[2]?.[0] ?? "");
    expect(hex(parseIpv6("::192.0.2.1") ?? new Uint8Array())).toBe(
      "000000000000000000000000c0000201",
    );
  });

  test("formats the first of two equal zero runs, and a lone zero group, in full", () => {
    const text = (source: string) => formatIpv6(parseIpv6(source) ?? new Uint8Array(16));
    expect(text("0:0:0:0:0:0:0:0")).toBe("::");
    expect(text("fd00:0198:0018:0:0:0:0:0001")).toBe("fd00:198:18::1");
    expect(text("1:0:2:3:4:5:6:7")).toBe("1:0:2:3:4:5:6:7");
    expect(text("1:0:0:2:0:0:3:4")).toBe("1::2:0:0:3:4");
    expect(text("1:0:0:2:0:0:0:4")).toBe("1:0:0:2::4");
    expect(text("1:2:3:4:5:6:7:0")).toBe("1:2:3:4:5:6:7:0");
  });

  test("parses `::` at either end or alone, mixed notation and upper case", () => {
    expect(parseIpv6("::")).toEqual(new Uint8Array(16));
    expect(parseIpv6("fd00:198:18::1")).toEqual(
      Uint8Array.of(0xfd, 0, 0x01, 0x98, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    );
    expect(parseIpv6("1:2:3:4:5:6:7:8")).toEqual(
      Uint8Array.of(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8),
    );
    expect(parseIpv6("::ffff:198.18.0.1")).toEqual(
      Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1),
    );
    expect(parseIpv6("1::")).toEqual(Uint8Array.of(0, 1, ...new Array<number>(14).fill(0)));
    expect(parseIpv6("1:2:3:4:5:6:7::")).toEqual(
      Uint8Array.of(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0),
    );
    expect(parseIpv6("::2:3:4:5:6:7:8")).toEqual(
      Uint8Array.of(0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8),
    );
    expect(parseIpv6("FD00::ABCD")).toEqual(parseIpv6("fd00::abcd"));
  });

  test("refuses malformed text", () => {
    for (const text of [
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      ":1",
      "g::",
      "",
      ":",
      ":::",
      "1:2:3:4:5:6:7:8::",
      ":1::2",
      "1::2:",
      "1.2.3.4::",
      "::1.2.3",
      "::1.2.3.4:5",
      "198.18.0.1",
    ]) {
      expect({ text, addr: parseIpv6(text) }).toEqual({ text, addr: undefined });
    }
  });

  test("refuses a zone suffix: a socket address record has no room for an interface name", () => {
    expect(parseIpv6("fe80::1%eth0")).toBeUndefined();
  });

  test("round-trips every address", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (addr) => {
        expect(hex(parseIpv6(formatIpv6(addr)) ?? new Uint8Array())).toBe(hex(addr));
      }),
      { numRuns: 2000 },
    );
  });

  test("reads back addresses with long zero runs, and their long forms with leading zeros and upper case", () => {
    fc.assert(
      fc.property(zeroHeavyIpv6, (addr) => {
        expect(parseIpv6(formatIpv6(addr))).toEqual(addr);
        const long = Array.from({ length: 8 }, (_, group) =>
          (((addr[group * 2] ?? 0) << 8) | (addr[group * 2 + 1] ?? 0))
            .toString(16)
            .padStart(4, "0")
            .toUpperCase(),
        ).join(":");
        expect(parseIpv6(long)).toEqual(addr);
      }),
      { numRuns: 2000 },
    );
  });

  test("agrees with the WHATWG URL parser, which writes IPv4-mapped addresses in hex", () => {
    fc.assert(
      fc.property(zeroHeavyIpv6, (addr) => {
        const formatted = formatIpv6(addr);
        if (formatted.startsWith("::ffff:") && formatted.includes(".")) {
          expect(parseIpv6(urlCanonical(formatted))).toEqual(addr);
        } else {
          expect(urlCanonical(formatted)).toBe(formatted);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("either family by the presence of a colon; ipv6Equal compares bytes", () => {
    expect(parseIpAddress("10.0.0.1")).toBe(0x0a000001);
    const v6 = parseIpAddress("fd00::1");
    expect(v6 instanceof Uint8Array && formatIpAddress(v6)).toBe("fd00::1");
    expect(formatIpAddress(0x0a000001)).toBe("10.0.0.1");
    const a = parseIpv6("fd00::1") ?? new Uint8Array();
    expect(ipv6Equal(a, parseIpv6("fd00:0::1") ?? new Uint8Array())).toBe(true);
    expect(ipv6Equal(a, parseIpv6("fd00::2") ?? new Uint8Array())).toBe(false);
  });
});
