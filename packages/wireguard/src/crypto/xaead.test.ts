import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { xopen, xseal } from "./xaead.ts";

const hex = (bytes: Uint8Array | undefined): string =>
  bytes === undefined ? "undefined" : Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));

// draft-irtf-cfrg-xchacha-03 appendix A.3.1.
const KEY = fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
const NONCE = fromHex("404142434445464748494a4b4c4d4e4f5051525354555657");
const AD = fromHex("50515253c0c1c2c3c4c5c6c7");
const PLAINTEXT = new TextEncoder().encode(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);
const SEALED =
  "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb" +
  "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452" +
  "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9" +
  "21f9664c97637da9768812f615c68b13b52e" +
  "c0875924c1c7987947deafd8780acf49";

describe("xseal and xopen", () => {
  test("match draft-irtf-cfrg-xchacha appendix A.3.1", () => {
    expect(hex(xseal(KEY, NONCE, PLAINTEXT, AD))).toBe(SEALED);
    expect(hex(xopen(KEY, NONCE, fromHex(SEALED), AD))).toBe(hex(PLAINTEXT));
  });

  test("xopen returns undefined for any flipped bit, another AD, or too few bytes", () => {
    fc.assert(
      fc.property(fc.nat(SEALED.length * 4 - 1), (bit) => {
        const sealed = fromHex(SEALED);
        sealed[bit >> 3] = (sealed[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(xopen(KEY, NONCE, sealed, AD)).toBeUndefined();
      }),
    );
    expect(xopen(KEY, NONCE, fromHex(SEALED), AD.subarray(1))).toBeUndefined();
    expect(xopen(KEY, NONCE, new Uint8Array(15), AD)).toBeUndefined();
  });

  test("seal a 16-byte cookie into 32 bytes, as a cookie reply carries it", () => {
    const cookie = new Uint8Array(16).fill(0xc0);
    const sealed = xseal(KEY, NONCE, cookie, AD);
    expect(sealed).toHaveLength(32);
    expect(xopen(KEY, NONCE, sealed, AD)).toEqual(cookie);
  });

  test("throw RangeError for a key or nonce of the wrong size", () => {
    expect(() => xseal(KEY.subarray(1), NONCE, PLAINTEXT, AD)).toThrow(RangeError);
    expect(() => xopen(KEY, NONCE.subarray(12), fromHex(SEALED), AD)).toThrow(RangeError);
  });
});
