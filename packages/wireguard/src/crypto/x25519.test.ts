import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { loadNativeX25519 } from "../aead/native-x25519.ts";
import { type DiffieHellman, nobleX25519 } from "./x25519.ts";
import { defaultDiffieHellman, passesRfc7748, pickDiffieHellman } from "./x25519-default.ts";
import { nodeX25519 } from "./x25519-node.ts";

const hex = (bytes: Uint8Array | undefined): string =>
  bytes === undefined ? "undefined" : Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));

const ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const BOB_PRIVATE = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
const BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

const native = loadNativeX25519();

test("libcrypto's X25519 loads here (the CI machine installs libssl3)", () => {
  expect(native?.name).toBe("openssl");
});

describe.each([nobleX25519, nodeX25519, ...(native === undefined ? [] : [native])])(
  "$name X25519",
  (dh: DiffieHellman) => {
    test("matches RFC 7748 section 5.2's two scalar-multiplication vectors", () => {
      expect(
        hex(
          dh.sharedSecret(
            fromHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
            fromHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
          ),
        ),
      ).toBe("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
      expect(
        hex(
          dh.sharedSecret(
            fromHex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
            fromHex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
          ),
        ),
      ).toBe("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    });

    test("matches RFC 7748 section 5.2's iterated vector after 1 and 1,000 iterations", () => {
      let k: Uint8Array = new Uint8Array(32);
      k[0] = 9;
      let u = k;
      for (let iteration = 1; iteration <= 1000; iteration++) {
        const result = dh.sharedSecret(k, u);
        if (result === undefined) throw new Error(`iteration ${iteration} gave all zeros`);
        [k, u] = [result, k];
        if (iteration === 1) {
          expect(hex(k)).toBe("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
        }
      }
      expect(hex(k)).toBe("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
    });

    test("matches RFC 7748 section 6.1: both public keys and the shared secret both ways", () => {
      expect(hex(dh.publicKey(fromHex(ALICE_PRIVATE)))).toBe(ALICE_PUBLIC);
      expect(hex(dh.publicKey(fromHex(BOB_PRIVATE)))).toBe(BOB_PUBLIC);
      expect(hex(dh.sharedSecret(fromHex(ALICE_PRIVATE), fromHex(BOB_PUBLIC)))).toBe(SHARED);
      expect(hex(dh.sharedSecret(fromHex(BOB_PRIVATE), fromHex(ALICE_PUBLIC)))).toBe(SHARED);
    });

    test("returns undefined, not zeros, for low-order public keys", () => {
      const alice = fromHex(ALICE_PRIVATE);
      const one = new Uint8Array(32);
      one[0] = 1;
      expect(dh.sharedSecret(alice, new Uint8Array(32))).toBeUndefined();
      expect(dh.sharedSecret(alice, one)).toBeUndefined();
      // Wycheproof x25519 (via pyca/cryptography's test_null_shared_key_raises_error).
      expect(
        dh.sharedSecret(
          fromHex("78f1e8edf14481b389448dac8f59c70b038e7cf92ef2c7eff57a72466e115296"),
          fromHex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
        ),
      ).toBeUndefined();
    });

    test("generates a clamped private key from the random source it is given", () => {
      const key = dh.generatePrivateKey((into) => into.fill(0xff));
      expect(key.length).toBe(32);
      expect(key[0]).toBe(0xf8);
      expect(key[31]).toBe(0x7f);
      expect(key.subarray(1, 31).every((byte) => byte === 0xff)).toBe(true);
    });

    test("throws RangeError for keys that are not 32 bytes", () => {
      expect(() => dh.publicKey(new Uint8Array(31))).toThrow(RangeError);
      expect(() => dh.sharedSecret(new Uint8Array(32), new Uint8Array(33))).toThrow(RangeError);
    });
  },
);

describe("nodeX25519 against nobleX25519", () => {
  test("agree on public keys and shared secrets for random keys", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (a, b) => {
          const publicB = nobleX25519.publicKey(b);
          expect(hex(nodeX25519.publicKey(a))).toBe(hex(nobleX25519.publicKey(a)));
          expect(hex(nodeX25519.sharedSecret(a, publicB))).toBe(
            hex(nobleX25519.sharedSecret(a, publicB)),
          );
        },
      ),
      { numRuns: 30 },
    );
  });

  test("a private key changed in place is imported again, not served from the cache", () => {
    const key = fromHex(ALICE_PRIVATE);
    expect(hex(nodeX25519.publicKey(key))).toBe(ALICE_PUBLIC);
    key.set(fromHex(BOB_PRIVATE));
    expect(hex(nodeX25519.publicKey(key))).toBe(BOB_PUBLIC);
    expect(hex(nodeX25519.sharedSecret(key, fromHex(ALICE_PUBLIC)))).toBe(SHARED);
  });
});

describe("defaultDiffieHellman", () => {
  test("is node:crypto's X25519 here, which passes the vectors", () => {
    expect(passesRfc7748(nodeX25519)).toBe(true);
    expect(defaultDiffieHellman.name).toBe("node");
  });

  test("skips a candidate that gets the vectors wrong", () => {
    const broken: DiffieHellman = {
      ...nodeX25519,
      name: "broken",
      sharedSecret: (privateKey, publicKey) =>
        nodeX25519.sharedSecret(privateKey, publicKey)?.reverse(),
    };
    expect(passesRfc7748(broken)).toBe(false);
    expect(pickDiffieHellman([broken, nobleX25519]).name).toBe("noble");
  });
});
