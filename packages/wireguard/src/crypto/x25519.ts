import type { x25519 as NobleX25519 } from "@noble/curves/ed25519.js";
import type { RandomSource } from "./random.ts";

/**
 * X25519 (RFC 7748) as WireGuard uses it: 32-byte clamped private keys, 32-byte public keys, and
 * a shared secret that is rejected when it is all zeros (a low-order public key).
 */
export interface DiffieHellman {
  readonly name: string;
  /** Draws 32 bytes from `random` and clamps them. */
  generatePrivateKey(random: RandomSource): Uint8Array;
  /** Returns the public key of `privateKey` (clamped or not; X25519 clamps on use). */
  publicKey(privateKey: Uint8Array): Uint8Array;
  /** Returns X25519(privateKey, publicKey), or undefined when that is all zeros. */
  sharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined;
}

export const X25519_KEY_BYTES = 32;

let noble: typeof NobleX25519 | undefined;

/**
 * Loads @noble/curves on first use: its ed25519 module costs about 9 MB of resident memory,
 * which a process that uses node:crypto's X25519 never needs to pay.
 */
function nobleCurve(): typeof NobleX25519 {
  noble ??= (require("@noble/curves/ed25519.js") as { x25519: typeof NobleX25519 }).x25519;
  return noble;
}

/** X25519 from @noble/curves: pure TypeScript, runs anywhere, about 10x slower than nodeX25519. */
export const nobleX25519: DiffieHellman = {
  name: "noble",
  generatePrivateKey: (random) => generateClampedKey(random),
  publicKey(privateKey) {
    checkKeyLength("private key", privateKey);
    return nobleCurve().getPublicKey(privateKey);
  },
  sharedSecret(privateKey, publicKey) {
    checkKeyLength("private key", privateKey);
    checkKeyLength("public key", publicKey);
    try {
      return nobleCurve().getSharedSecret(privateKey, publicKey);
    } catch {
      // noble rejects exactly the low-order points, whose result would be all zeros.
      return undefined;
    }
  },
};

/** Draws a private key from `random` and clamps it (RFC 7748 section 5). */
export function generateClampedKey(random: RandomSource): Uint8Array {
  const key = new Uint8Array(X25519_KEY_BYTES);
  random(key);
  return clamp(key);
}

/** Clamps a private key in place and returns it: clears bits 0-2 and 255, sets bit 254. */
export function clamp(key: Uint8Array): Uint8Array {
  key[0] = (key[0] as number) & 248;
  key[31] = ((key[31] as number) & 127) | 64;
  return key;
}

/** Throws a RangeError unless `key` is 32 bytes: a caller bug, never a network input. */
export function checkKeyLength(what: string, key: Uint8Array): void {
  if (key.length !== X25519_KEY_BYTES) {
    throw new RangeError(`an X25519 ${what} is ${X25519_KEY_BYTES} bytes, got ${key.length}`);
  }
}
