import { describe, expect, test } from "bun:test";
import {
  formatIpAddress,
  formatIpv4,
  formatIpv6,
  ipv6Equal,
  parseIpAddress,
  parseIpv4,
  parseIpv6,
} from "@fz/ip-packet";
import fc from "fast-check";
import { hex } from "../test/support.ts";

describe("IPv4 text", () => {
  test("formats and parses dotted quads", () => {
    expect(formatIpv4(0)).toBe("0.0.0.0");
    expect(formatIpv4(0xffffffff)).toBe("255.255.255.255");
    expect(formatIpv4(0x64600001)).toBe("100.96.0.1");
    expect(parseIpv4("100.96.0.1")).toBe(0x64600001);
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
  });

  test("refuses what is not a strict dotted quad", () => {
    for (const text of ["1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", ""]) {
      expect(parseIpv4(text)).toBeUndefined();
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

  test("refuses malformed text", () => {
    for (const text of ["1::2::3", "12345::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", ":1", "g::"]) {
      expect(parseIpv6(text)).toBeUndefined();
    }
  });

  test("round-trips every address", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (addr) => {
        expect(hex(parseIpv6(formatIpv6(addr)) ?? new Uint8Array())).toBe(hex(addr));
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
