import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { AeadPrimitive } from "./aead.ts";
import { NativeAeadUnavailableError } from "./errors.ts";
import { loadNativeAeadFrom } from "./native.ts";
import type { NativeLibrary } from "./native-library.ts";
import { nobleAead } from "./noble.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));

const native = (["openssl", "libsodium"] as const).map((library: NativeLibrary) => ({
  library,
  loaded: loadNativeAeadFrom(library),
}));
const backends: AeadPrimitive[] = [nobleAead];
for (const { loaded } of native) {
  if (!(loaded instanceof NativeAeadUnavailableError)) backends.push(loaded);
}
console.info(`AEAD backends under test: ${backends.map((backend) => backend.name).join(", ")}`);
for (const { library, loaded } of native) {
  if (loaded instanceof NativeAeadUnavailableError) {
    test.skip(`${library} backend (unavailable: ${loaded.reason})`, () => {});
  }
}

const LADIES = new TextEncoder().encode(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);
const KEY_80 = fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
const AD_50 = fromHex("50515253c0c1c2c3c4c5c6c7");

// RFC 8439 section 2.8.2.
const RFC8439_2_8_2 = {
  nonce: fromHex("070000004041424344454647"),
  sealed:
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
    "3ff4def08e4b7a9de576d26586cec64b6116" +
    "1ae10b594f09e26a7e902ecbd0600691",
};

// RFC 8439 appendix A.5 (also the first vector of WireGuard's kernel selftest, which passes
// its u64 nonce 0x0807060504030201 exactly this way: 4 zero bytes, then the u64 little-endian).
const RFC8439_A_5 = {
  key: fromHex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0"),
  nonce: fromHex("000000000102030405060708"),
  ad: fromHex("f33388860000000000004e91"),
  plaintext:
    "496e7465726e65742d4472616674732061726520647261667420646f63756d656e74732076616c696420666f722061206d6178696d756d206f6620736978206d6f6e74687320616e64206d617920626520757064617465642c207265706c616365642c206f72206f62736f6c65746564206279206f7468657220646f63756d656e747320617420616e792074696d652e20497420697320696e617070726f70726961746520746f2075736520496e7465726e65742d447261667473206173207265666572656e6365206d6174657269616c206f7220746f2063697465207468656d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67726573732e2fe2809d",
  sealed:
    "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c8559797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b" +
    "eead9d67890cbb22392336fea1851f38",
};

// WireGuard's nonce for counters a u64 can hold exactly as a number, sealed with Python
// cryptography 48 (OpenSSL): ChaCha20Poly1305(key).encrypt(b"\0" * 4 + counter.to_bytes(8,
// "little"), plaintext, ad). @noble/ciphers, independent of OpenSSL, must agree.
const WIREGUARD_NONCE_VECTORS = [
  {
    counter: 0,
    plaintext: LADIES,
    ad: new Uint8Array(0),
    sealed:
      "663d7ec45b29ceaaa35505b8c1b3d94613a50fd7e315a748d35a378670746af867ab3404fe7b7655b904162b408190f3f8c781815bb8724e4ac22ea6351d38468cd370aa8ffb19e96edc915893cc6e1861c2af01ab0fb02df97ea145499bb87d44ec7d738272327290570a03658b27b11666b705f691af51288b2b0625d9418e8989",
  },
  {
    counter: 1,
    plaintext: new Uint8Array(16),
    ad: AD_50,
    sealed: "e311740d7e7f27e66205da168a7486ea7d6962882dd053ff67362fdf299fed84",
  },
  {
    counter: 0x0123456789ab,
    plaintext: LADIES,
    ad: AD_50,
    sealed:
      "de1436379c6ec06d1263f4b9f5fecb9c2cd72da644db63487632ea8e07b65790d886684f63a460517ab06a653a28907703f454b361d7d246dd1b5bbb0342e415a1ae7cdb245073f48e83b2f74b451974405aa3924c2c592cb6e09d898351d11993b6366d165e928f504bab287a13a92fda8fc03521ddc5cbc1a79031f2563e4f7c72",
  },
  // A keepalive (empty plaintext, empty AD) at the largest counter a number holds exactly.
  {
    counter: 2 ** 53 - 1,
    plaintext: new Uint8Array(0),
    ad: new Uint8Array(0),
    sealed: "a820420c5ccb7a7a6e8f9520a84bd3bf",
  },
];

/** Builds WireGuard's nonce independently of the backends: 4 zero bytes, u64 little-endian. */
function wireGuardNonce(counter: number): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, BigInt(counter), true);
  return nonce;
}

function sealed(
  backend: AeadPrimitive,
  key: Uint8Array,
  counter: number,
  plaintext: Uint8Array,
  ad: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(plaintext.length + 16);
  expect(backend.seal(key, counter, plaintext, ad, out)).toBe(out.length);
  return out;
}

const packet = fc.record({
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  counter: fc.maxSafeNat(),
  plaintext: fc.uint8Array({ maxLength: 1500 }),
  ad: fc.uint8Array({ maxLength: 64 }),
});

describe.each(backends)("$name backend", (backend) => {
  test("matches RFC 8439 section 2.8.2 through the explicit-nonce primitive", () => {
    const out = new Uint8Array(LADIES.length + 16);
    expect(backend.sealWithNonce(KEY_80, RFC8439_2_8_2.nonce, LADIES, AD_50, out)).toBe(130);
    expect(hex(out)).toBe(RFC8439_2_8_2.sealed);
    const opened = new Uint8Array(LADIES.length);
    expect(backend.openWithNonce(KEY_80, RFC8439_2_8_2.nonce, out, AD_50, opened)).toBe(114);
    expect(opened).toEqual(LADIES);
  });

  test("matches RFC 8439 appendix A.5, whose nonce starts with 4 zero bytes", () => {
    const { key, nonce, ad, plaintext, sealed: expected } = RFC8439_A_5;
    const out = new Uint8Array(plaintext.length / 2 + 16);
    backend.sealWithNonce(key, nonce, fromHex(plaintext), ad, out);
    expect(hex(out)).toBe(expected);
    const opened = new Uint8Array(plaintext.length / 2);
    expect(backend.openWithNonce(key, nonce, fromHex(expected), ad, opened)).toBe(265);
    expect(hex(opened)).toBe(plaintext);
  });

  test.each(WIREGUARD_NONCE_VECTORS)(
    "seals and opens with WireGuard's nonce for counter $counter",
    ({ counter, plaintext, ad, sealed: expected }) => {
      expect(hex(sealed(backend, KEY_80, counter, plaintext, ad))).toBe(expected);
      const opened = new Uint8Array(plaintext.length);
      expect(backend.open(KEY_80, counter, fromHex(expected), ad, opened)).toBe(plaintext.length);
      expect(opened).toEqual(plaintext);
    },
  );

  test("seal(counter) is sealWithNonce(4 zero bytes ‖ u64le(counter))", () => {
    fc.assert(
      fc.property(packet, ({ key, counter, plaintext, ad }) => {
        const viaNonce = new Uint8Array(plaintext.length + 16);
        backend.sealWithNonce(key, wireGuardNonce(counter), plaintext, ad, viaNonce);
        expect(sealed(backend, key, counter, plaintext, ad)).toEqual(viaNonce);
      }),
      { numRuns: 100 },
    );
  });

  test("opens what it sealed, out of place and in place (in a shared pool slot at an offset)", () => {
    const slot = new Uint8Array(new SharedArrayBuffer(2048)).subarray(16);
    fc.assert(
      fc.property(packet, ({ key, counter, plaintext, ad }) => {
        const outOfPlace = sealed(backend, key, counter, plaintext, ad);
        const opened = new Uint8Array(plaintext.length);
        expect(backend.open(key, counter, outOfPlace, ad, opened)).toBe(plaintext.length);
        expect(opened).toEqual(plaintext);

        const inPlace = slot.subarray(0, plaintext.length + 16);
        inPlace.set(plaintext);
        backend.seal(key, counter, inPlace.subarray(0, plaintext.length), ad, inPlace);
        expect(hex(inPlace)).toBe(hex(outOfPlace));
        expect(backend.open(key, counter, inPlace, ad, inPlace)).toBe(plaintext.length);
        expect(hex(inPlace.subarray(0, plaintext.length))).toBe(hex(plaintext));
      }),
      { numRuns: 200 },
    );
  });

  test("sealInPlace and openAt, at an offset in a shared slot, are seal and open with no AD", () => {
    const slot = new Uint8Array(new SharedArrayBuffer(2048));
    const empty = new Uint8Array(0);
    fc.assert(
      fc.property(packet, fc.nat({ max: 64 }), ({ key, counter, plaintext }, offset) => {
        const expected = sealed(backend, key, counter, plaintext, empty);
        slot.set(plaintext, offset);
        expect(backend.sealInPlace(key, counter, slot, offset, plaintext.length)).toBe(
          expected.length,
        );
        expect(hex(slot.subarray(offset, offset + expected.length))).toBe(hex(expected));

        const opened = new Uint8Array(plaintext.length);
        expect(backend.openAt(key, counter, slot, offset, expected.length, opened)).toBe(
          plaintext.length,
        );
        expect(opened).toEqual(plaintext);
        const inPlace = slot.subarray(offset);
        expect(backend.openAt(key, counter, slot, offset, expected.length, inPlace)).toBe(
          plaintext.length,
        );
        expect(hex(inPlace.subarray(0, plaintext.length))).toBe(hex(plaintext));
      }),
      { numRuns: 200 },
    );
  });

  test("openAt returns -1 for a flipped bit (zeroing its output) or fewer bytes than a tag", () => {
    const buffer = new Uint8Array(16 + LADIES.length + 16);
    buffer.set(LADIES, 16);
    backend.sealInPlace(KEY_80, 7, buffer, 16, LADIES.length);
    buffer[20] = (buffer[20] as number) ^ 1;
    const out = new Uint8Array(LADIES.length).fill(0xee);
    expect(backend.openAt(KEY_80, 7, buffer, 16, LADIES.length + 16, out)).toBe(-1);
    expect(out.every((byte) => byte === 0)).toBe(true);
    expect(backend.openAt(KEY_80, 7, buffer, 16, 15, out)).toBe(-1);
    expect(backend.openAt(KEY_80, 7, buffer, buffer.length, 0, new Uint8Array(0))).toBe(-1);
  });

  test("sealInPlace and openAt throw RangeError for a range outside the buffer", () => {
    const buffer = new Uint8Array(64);
    const out = new Uint8Array(64);
    expect(() => backend.sealInPlace(KEY_80, 0, buffer, 16, 33)).toThrow(RangeError);
    expect(() => backend.sealInPlace(KEY_80, 0, buffer, -1, 8)).toThrow(RangeError);
    expect(() => backend.sealInPlace(KEY_80, 0, buffer, 0.5, 8)).toThrow(RangeError);
    expect(() => backend.sealInPlace(KEY_80, 0, buffer, 0, -1)).toThrow(RangeError);
    expect(() => backend.sealInPlace(KEY_80.subarray(1), 0, buffer, 0, 8)).toThrow(RangeError);
    expect(backend.sealInPlace(KEY_80, 0, buffer, 16, 32)).toBe(48);
    expect(() => backend.openAt(KEY_80, 0, buffer, 16, 49, out)).toThrow(RangeError);
    expect(() => backend.openAt(KEY_80, 0, buffer, -1, 32, out)).toThrow(RangeError);
    expect(() => backend.openAt(KEY_80, 0, buffer, 16, -1, out)).toThrow(RangeError);
    expect(() => backend.openAt(KEY_80, 0, buffer, 16, Number.NaN, out)).toThrow(RangeError);
    expect(() => backend.openAt(KEY_80, 0, buffer, 16, 48, out.subarray(0, 31))).toThrow(
      RangeError,
    );
    expect(backend.openAt(KEY_80, 0, buffer, 16, 48, out)).toBe(32);
  });

  test("returns -1 and never throws for any flipped bit, another counter or another AD", () => {
    fc.assert(
      fc.property(packet, fc.nat(), (p, bitSeed) => {
        const message = sealed(backend, p.key, p.counter, p.plaintext, p.ad);
        const bit = bitSeed % (message.length * 8);
        message[bit >> 3] = (message[bit >> 3] as number) ^ (1 << (bit & 7));
        const out = new Uint8Array(p.plaintext.length);
        expect(backend.open(p.key, p.counter, message, p.ad, out)).toBe(-1);
        expect(backend.open(p.key, p.counter, message, p.ad, message)).toBe(-1);
        message[bit >> 3] = (message[bit >> 3] as number) ^ (1 << (bit & 7));
        const otherCounter = p.counter === 0 ? 1 : p.counter - 1;
        expect(backend.open(p.key, otherCounter, message, p.ad, out)).toBe(-1);
        const otherAd = Uint8Array.of(...p.ad, 0);
        expect(backend.open(p.key, p.counter, message, otherAd, out)).toBe(-1);
      }),
      { numRuns: 200 },
    );
  });

  test("a failed open leaves zeros in the output, and messages shorter than a tag fail", () => {
    const message = sealed(backend, KEY_80, 7, LADIES, AD_50);
    message[message.length - 1] = (message[message.length - 1] as number) ^ 0x80;
    const out = new Uint8Array(LADIES.length).fill(0xee);
    expect(backend.open(KEY_80, 7, message, AD_50, out)).toBe(-1);
    expect(out.every((byte) => byte === 0)).toBe(true);
    expect(backend.open(KEY_80, 7, new Uint8Array(15), AD_50, out)).toBe(-1);
    expect(backend.open(KEY_80, 7, new Uint8Array(0), AD_50, new Uint8Array(0))).toBe(-1);
  });

  test("opens a keepalive into an empty output", () => {
    const keepalive = sealed(backend, KEY_80, 3, new Uint8Array(0), new Uint8Array(0));
    expect(backend.open(KEY_80, 3, keepalive, new Uint8Array(0), new Uint8Array(0))).toBe(0);
  });

  test("throws RangeError for caller bugs: key size, counter, output too small", () => {
    const out = new Uint8Array(LADIES.length + 16);
    expect(() => backend.seal(KEY_80.subarray(1), 0, LADIES, AD_50, out)).toThrow(RangeError);
    expect(() => backend.seal(KEY_80, -1, LADIES, AD_50, out)).toThrow(RangeError);
    expect(() => backend.seal(KEY_80, 2 ** 53, LADIES, AD_50, out)).toThrow(RangeError);
    expect(() => backend.seal(KEY_80, 1.5, LADIES, AD_50, out)).toThrow(RangeError);
    expect(() => backend.seal(KEY_80, 0, LADIES, AD_50, out.subarray(1))).toThrow(RangeError);
    expect(() => backend.open(KEY_80, 0, out, AD_50, new Uint8Array(LADIES.length - 1))).toThrow(
      RangeError,
    );
  });
});

describe.each(backends.filter((backend) => backend.name !== "noble"))(
  "$name against noble",
  (backend) => {
    test("produces identical bytes for random keys, counters, plaintexts (0..1500 B) and AD", () => {
      fc.assert(
        fc.property(packet, ({ key, counter, plaintext, ad }) => {
          expect(sealed(backend, key, counter, plaintext, ad)).toEqual(
            sealed(nobleAead, key, counter, plaintext, ad),
          );
        }),
        { numRuns: 300 },
      );
    });
  },
);
