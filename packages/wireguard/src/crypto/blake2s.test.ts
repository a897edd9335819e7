import { describe, expect, test } from "bun:test";
import { blake2s } from "@noble/hashes/blake2.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import fc from "fast-check";
import { HmacMidstate, hash, hmac, mac } from "./blake2s.ts";
import { Blake2sState } from "./blake2s-state.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));
const counting = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i);

/** A message and a random split of it into parts (some empty). */
const splitMessage = (maxLength: number) =>
  fc
    .tuple(fc.uint8Array({ maxLength }), fc.array(fc.nat(), { maxLength: 5 }))
    .map(([message, cuts]) => {
      const points = cuts.map((cut) => cut % (message.length + 1)).sort((a, b) => a - b);
      const parts: Uint8Array[] = [];
      let start = 0;
      for (const point of [...points, message.length]) {
        parts.push(message.subarray(start, point));
        start = point;
      }
      return { message, parts };
    });

describe("hash", () => {
  test("matches RFC 7693 appendix B: BLAKE2s-256('abc')", () => {
    expect(hex(hash(new TextEncoder().encode("abc")))).toBe(
      "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
    );
  });

  test("of the empty message matches Python's hashlib.blake2s(b'')", () => {
    expect(hex(hash())).toBe("69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
  });

  test("equals @noble/hashes on the concatenation of its parts, across block boundaries", () => {
    fc.assert(
      fc.property(splitMessage(300), ({ message, parts }) => {
        expect(hex(hash(...parts))).toBe(hex(blake2s(message)));
      }),
      { numRuns: 500 },
    );
  });
});

describe("keyed BLAKE2s", () => {
  // BLAKE2/BLAKE2 testvectors/blake2s-kat.txt: key 00..1f, input 00..(n-1), 32-byte output.
  const KAT: readonly [number, string][] = [
    [0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"],
    [1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"],
    [2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"],
    [31, "b6156f72d380ee9ea6acd190464f2307a5c179ef01fd71f99f2d0f7a57360aea"],
    [32, "c03bc642b20959cbe133a0303e0c1abff3e31ec8e1a328ec8565c36decff5265"],
    [63, "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd"],
    [64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4"],
    [65, "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8"],
    [128, "0c311f38c35a4fb90d651c289d486856cd1413df9b0677f53ece2cd9e477c60a"],
    [129, "46a73a8dd3e70f59d3942c01df599def783c9da82fd83222cd662b53dce7dbdf"],
    [255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"],
  ];

  test.each(KAT)("matches blake2s-kat.txt for a %i-byte input", (length, expected) => {
    const state = new Blake2sState().init(32, counting(32));
    expect(hex(state.update(counting(length)).digest())).toBe(expected);
  });

  test("mac is the 16-byte keyed BLAKE2s of the concatenated parts (not a truncation)", () => {
    const key = counting(32);
    expect(hex(mac(key, counting(3)))).toBe(hex(blake2s(counting(3), { key, dkLen: 16 })));
    expect(hex(mac(key, counting(3)))).not.toBe(
      hex(new Blake2sState().init(32, key).update(counting(3)).digest().subarray(0, 16)),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        splitMessage(200),
        (macKey, { message, parts }) => {
          expect(hex(mac(macKey, ...parts))).toBe(
            hex(blake2s(message, { key: macKey, dkLen: 16 })),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test("refuses a key longer than 32 bytes", () => {
    expect(() => mac(new Uint8Array(33), counting(1))).toThrow(RangeError);
  });
});

describe("hmac", () => {
  test("equals @noble/hashes hmac(blake2s) for keys up to 100 bytes (long keys are hashed)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        splitMessage(200),
        (key, { message, parts }) => {
          expect(hex(hmac(key, ...parts))).toBe(hex(nobleHmac(blake2s, key, message)));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("of an empty message still hashes the inner pad as the final block", () => {
    const key = counting(32);
    expect(hex(hmac(key))).toBe(hex(nobleHmac(blake2s, key, new Uint8Array(0))));
  });

  test("HmacMidstate gives the same bytes for every message under one key, and needs a message", () => {
    const key = fromHex("746573742d6b6579");
    const midstate = new HmacMidstate().setKey(key);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 150 }), (message) => {
        expect(hex(midstate.macInto(message, new Uint8Array(32)))).toBe(hex(hmac(key, message)));
      }),
    );
    expect(() => midstate.macInto(new Uint8Array(0), new Uint8Array(32))).toThrow(RangeError);
  });
});
