import { describe, expect, test } from "bun:test";
import { blake2s } from "@noble/hashes/blake2.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import fc from "fast-check";
import { kdf1, kdf2, kdf3 } from "./kdf.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));

// WireGuard/wireguard-go device/kdf_test.go: key, input, t0, t1, t2.
const VECTORS = [
  {
    key: "746573742d6b6579",
    input: "746573742d696e707574",
    t: [
      "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
      "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
      "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24",
    ],
  },
  {
    key: "776972656775617264",
    input: "776972656775617264",
    t: [
      "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
      "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
      "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160",
    ],
  },
  {
    key: "",
    input: "",
    t: [
      "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
      "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
      "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e",
    ],
  },
] as const;

describe("kdf1, kdf2, kdf3", () => {
  test.each(VECTORS)("match wireguard-go's KDF vectors for key '$key'", ({ key, input, t }) => {
    const [c, i] = [fromHex(key), fromHex(input)];
    expect(kdf3(c, i).map(hex)).toEqual([...t]);
    expect(kdf2(c, i).map(hex)).toEqual([t[0], t[1]]);
    expect(kdf1(c, i).map(hex)).toEqual([t[0]]);
  });

  test("equal HKDF-BLAKE2s (salt = chaining key, empty info) from @noble/hashes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 32 }),
        fc.uint8Array({ maxLength: 80 }),
        (chainingKey, input) => {
          const expected = hkdf(blake2s, input, chainingKey, new Uint8Array(0), 96);
          expect(hex(Buffer.concat(kdf3(chainingKey, input)))).toBe(hex(expected));
        },
      ),
      { numRuns: 200 },
    );
  });

  test("return fresh arrays that later calls do not overwrite", () => {
    const [first] = kdf1(new Uint8Array(32), new Uint8Array(32));
    const copy = first.slice();
    kdf3(new Uint8Array(32).fill(1), new Uint8Array(1));
    expect(first).toEqual(copy);
  });
});
