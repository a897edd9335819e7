import { describe, expect, test } from "bun:test";
import { parseReverseName } from "@fz/dns-nat";
import fc from "fast-check";

const v4ReverseName = (address: number) =>
  `${[0, 8, 16, 24].map((shift) => (address >>> shift) & 0xff).join(".")}.in-addr.arpa`;
const v6ReverseName = (address: Uint8Array) => {
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) {
    const byte = address[i] ?? 0;
    nibbles.push((byte & 0xf).toString(16), (byte >> 4).toString(16));
  }
  return `${nibbles.join(".")}.ip6.arpa`;
};

describe("parseReverseName", () => {
  test("reads an in-addr.arpa name, octets in reverse order", () => {
    expect(parseReverseName("4.3.2.1.in-addr.arpa")).toEqual({ family: 4, address: 0x01020304 });
    expect(parseReverseName("1.0.96.100.IN-ADDR.Arpa.")).toEqual({
      family: 4,
      address: 0x64600001,
    });
    expect(parseReverseName("255.255.255.255.in-addr.arpa")).toEqual({
      family: 4,
      address: 0xffffffff,
    });
  });

  test("reads an ip6.arpa name, nibbles in reverse order (RFC 3596's example)", () => {
    const parsed = parseReverseName(
      "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.IP6.ARPA",
    );
    expect(parsed?.family).toBe(6);
    expect(Array.from((parsed?.address as Uint8Array) ?? [])).toEqual([
      0x43, 0x21, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x05, 0x67, 0x89,
      0xab,
    ]);
  });

  test("rejects names that are not exactly one canonical address", () => {
    for (const name of [
      "0.1.2.3.4.in-addr.arpa",
      "2.3.4.in-addr.arpa",
      "01.2.3.4.in-addr.arpa",
      "256.2.3.4.in-addr.arpa",
      "-1.2.3.4.in-addr.arpa",
      "a.2.3.4.in-addr.arpa",
      "1.2.3.4.in-addr.carpa",
      "1.2.3.4.ip6.arpa",
      "in-addr.arpa",
      "example.com",
      `${"0.".repeat(31)}00.ip6.arpa`,
      `${"0.".repeat(31)}g.ip6.arpa`,
      `${"0.".repeat(31)}ip6.arpa`,
      `${"0.".repeat(32)}0.ip6.arpa`,
      "",
    ]) {
      expect(parseReverseName(name)).toBeUndefined();
    }
  });

  test("reads back every address's reverse name", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (address) => {
        expect(parseReverseName(v4ReverseName(address))).toEqual({ family: 4, address });
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (address) => {
        const parsed = parseReverseName(v6ReverseName(address).toUpperCase());
        expect(parsed?.family).toBe(6);
        expect(Array.from((parsed?.address as Uint8Array) ?? [])).toEqual(Array.from(address));
      }),
    );
  });
});
