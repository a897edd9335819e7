import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha), WireGuard's XAEAD: it seals the cookie in a
 * cookie reply under a random 24-byte nonce. Rare and small, so @noble/ciphers is enough.
 */

/** Returns ciphertext followed by the 16-byte tag. */
export function xseal(
  key: Uint8Array,
  nonce24: Uint8Array,
  plaintext: Uint8Array,
  ad: Uint8Array,
): Uint8Array {
  checkSizes(key, nonce24);
  return xchacha20poly1305(key, nonce24, ad).encrypt(plaintext);
}

/** Returns the plaintext, or undefined when `sealed` does not verify. Never throws for bad input. */
export function xopen(
  key: Uint8Array,
  nonce24: Uint8Array,
  sealed: Uint8Array,
  ad: Uint8Array,
): Uint8Array | undefined {
  checkSizes(key, nonce24);
  if (sealed.length < XAEAD_TAG_BYTES) return undefined;
  try {
    return xchacha20poly1305(key, nonce24, ad).decrypt(sealed);
  } catch {
    return undefined;
  }
}

export const XAEAD_NONCE_BYTES = 24;
export const XAEAD_TAG_BYTES = 16;

function checkSizes(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32 || nonce.length !== XAEAD_NONCE_BYTES) {
    throw new RangeError(
      `XChaCha20-Poly1305 takes a 32-byte key and a 24-byte nonce, got ${key.length} and ${nonce.length}`,
    );
  }
}
