import { describe, expect, test } from "bun:test";
import { isAfter, tai64n } from "@fz/wireguard";
import fc from "fast-check";

describe("tai64n", () => {
  test("encodes 2^62 + 10 + seconds, big-endian, then masked nanoseconds", () => {
    // 2024-01-01T00:00:00.123456Z: 0x400000000000000a + 1704067200 = 0x400000006592008a;
    // 123456000 ns masks to 0x07000000.
    expect(tai64n(1_704_067_200_123.456).toHex()).toBe("400000006592008a07000000");
    expect(tai64n(0).toHex()).toBe("400000000000000a00000000");
  });

  test("the low 24 bits of the nanoseconds are always zero", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 4e12, noNaN: true }), (unixMs) => {
        const stamp = tai64n(unixMs);
        expect([stamp[9], stamp[10], stamp[11]]).toEqual([0, 0, 0]);
      }),
    );
  });

  test("later times never give earlier timestamps, and 17 ms apart always a later one", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 4e12, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (unixMs, laterBy) => {
          const earlier = tai64n(unixMs);
          const later = tai64n(unixMs + laterBy);
          expect(isAfter(earlier, later)).toBe(false);
          if (laterBy >= 17) expect(isAfter(later, earlier)).toBe(true);
        },
      ),
    );
  });

  test("isAfter is strict", () => {
    const stamp = tai64n(1_704_067_200_000);
    expect(isAfter(stamp, stamp.slice())).toBe(false);
  });
});
