import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { AEAD_TAG_BYTES, type AeadPrimitive } from "./aead.ts";
import { checkOpenArguments, checkSealArguments } from "./arguments.ts";
import { CounterNonceAead } from "./counter-nonce.ts";

class NobleAead extends CounterNonceAead {
  readonly name = "noble";

  sealWithNonce(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    checkSealArguments(key, nonce, plaintext.length, out);
    const sealedLength = plaintext.length + AEAD_TAG_BYTES;
    chacha20poly1305(key, nonce, ad).encrypt(plaintext, out.subarray(0, sealedLength));
    return sealedLength;
  }

  openWithNonce(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    checkOpenArguments(key, nonce, sealed.length, out);
    if (sealed.length < AEAD_TAG_BYTES) return -1;
    const plaintext = out.subarray(0, sealed.length - AEAD_TAG_BYTES);
    try {
      chacha20poly1305(key, nonce, ad).decrypt(sealed, plaintext);
      return plaintext.length;
    } catch {
      // Only a tag mismatch reaches here: the sizes were checked above.
      plaintext.fill(0);
      return -1;
    }
  }
}

/**
 * ChaCha20-Poly1305 from @noble/ciphers: pure TypeScript, available everywhere, about 1 Gbit/s
 * on one core. Verifies before it decrypts; a failed open leaves zeros in `out`.
 */
export const nobleAead: AeadPrimitive = new NobleAead();
