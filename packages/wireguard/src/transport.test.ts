import { describe, expect, test } from "bun:test";
import { paddingFor, sealedSize } from "@fz/wireguard";
import fc from "fast-check";

describe("paddingFor", () => {
  test.each([
    [0, 1280, 0],
    [1, 1280, 15],
    [16, 1280, 0],
    [17, 1280, 15],
    [1270, 1280, 10],
    [1275, 1280, 5],
    [1279, 1280, 1],
    [1280, 1280, 0],
    [1281, 1280, 15],
    [1275, 1277, 2],
    [33, 0, 15],
  ])("a %i-byte packet with MTU %i gets %i zero bytes", (length, mtu, padding) => {
    expect(paddingFor(length, mtu)).toBe(padding);
  });

  test("padded packets up to the MTU are multiples of 16 or exactly the MTU", () => {
    fc.assert(
      fc.property(fc.integer({ min: 576, max: 9000 }), fc.nat(9000), (mtu, raw) => {
        const length = raw % (mtu + 1);
        const padded = length + paddingFor(length, mtu);
        expect(padded % 16 === 0 || padded === mtu).toBe(true);
        expect(padded).toBeLessThanOrEqual(mtu);
        expect(padded - length).toBeLessThan(16);
      }),
    );
  });
});

describe("sealedSize", () => {
  test("a message is 32 bytes plus the padded plaintext", () => {
    expect(sealedSize(0, 1280)).toBe(32);
    expect(sealedSize(1280, 1280)).toBe(1312);
    expect(sealedSize(100, 1280)).toBe(144);
  });
});
