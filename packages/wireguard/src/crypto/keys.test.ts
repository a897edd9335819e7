import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { decodeKey, encodeKey, KeyFormatError } from "./keys.ts";
import { defaultRandom } from "./random.ts";
import { nobleX25519 } from "./x25519.ts";
import { defaultDiffieHellman } from "./x25519-default.ts";

const WG = Bun.which("wg");

/** Runs `wg <command>` with `input` on stdin; returns its trimmed stdout and exit code. */
function wg(command: "genkey" | "pubkey", input = ""): { text: string; exitCode: number } {
  const result = Bun.spawnSync([WG ?? "wg", command], { stdin: Buffer.from(input) });
  return { text: result.stdout.toString().trim(), exitCode: result.exitCode };
}

function decoded(text: string): Uint8Array {
  const key = decodeKey(text);
  if (key instanceof KeyFormatError) throw key;
  return key;
}

describe("encodeKey and decodeKey", () => {
  test("round-trip every 32-byte key through 44 characters ending in '='", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        const text = encodeKey(key);
        expect(text).toHaveLength(44);
        expect(text).toMatch(/^[A-Za-z0-9+/]{43}=$/);
        expect(decoded(text)).toEqual(key);
      }),
    );
  });

  test("encode as standard base64 (the known all-zero and all-0xff keys)", () => {
    expect(encodeKey(new Uint8Array(32))).toBe("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    expect(encodeKey(new Uint8Array(32).fill(0xff))).toBe(
      "//////////////////////////////////////////8=",
    );
  });

  test("return, not throw, a KeyFormatError for text that is not a key", () => {
    const good = encodeKey(new Uint8Array(32).fill(7));
    for (const bad of [
      "",
      good.slice(0, 43),
      `${good} `,
      ` ${good.slice(1)}`,
      `${good.slice(0, 43)}A`,
      `${good.slice(0, 10)}-${good.slice(11)}`,
      `${good.slice(0, 10)}_${good.slice(11)}`,
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=",
    ]) {
      const result = decodeKey(bad);
      expect(result).toBeInstanceOf(KeyFormatError);
      expect((result as KeyFormatError)._tag).toBe("KeyFormatError");
      expect((result as KeyFormatError).message).toContain("44 characters");
    }
  });

  test("encodeKey throws RangeError for anything but 32 bytes", () => {
    expect(() => encodeKey(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe.skipIf(WG === null)("interoperability with wireguard-tools `wg`", () => {
  test("our public key of a `wg genkey` private key is what `wg pubkey` prints", () => {
    for (let i = 0; i < 5; i++) {
      const { text: privateText, exitCode } = wg("genkey");
      expect(exitCode).toBe(0);
      const privateKey = decoded(privateText);
      expect(encodeKey(privateKey)).toBe(privateText);
      const expected = wg("pubkey", `${privateText}\n`).text;
      expect(encodeKey(defaultDiffieHellman.publicKey(privateKey))).toBe(expected);
      expect(encodeKey(nobleX25519.publicKey(privateKey))).toBe(expected);
    }
  });

  test("`wg pubkey` derives from our generated private key the public key we derive", () => {
    for (let i = 0; i < 5; i++) {
      const privateKey = defaultDiffieHellman.generatePrivateKey(defaultRandom);
      const expected = encodeKey(defaultDiffieHellman.publicKey(privateKey));
      expect(wg("pubkey", `${encodeKey(privateKey)}\n`)).toEqual({ text: expected, exitCode: 0 });
    }
  });

  test("`wg pubkey` also rejects the non-canonical key text we reject", () => {
    const nonCanonical = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=";
    expect(decodeKey(nonCanonical)).toBeInstanceOf(KeyFormatError);
    expect(wg("pubkey", `${nonCanonical}\n`).exitCode).not.toBe(0);
  });
});
