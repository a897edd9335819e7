import { AEAD_NONCE_BYTES, type AeadBackendName, type AeadPrimitive } from "./aead.ts";
import { writeCounterNonce } from "./arguments.ts";

/**
 * Builds a backend's counter methods on its explicit-nonce primitive: WireGuard's nonce is
 * written into one scratch buffer per backend object, so a packet allocates nothing.
 */
export abstract class CounterNonceAead implements AeadPrimitive {
  abstract readonly name: AeadBackendName;
  readonly #nonce = new Uint8Array(new ArrayBuffer(AEAD_NONCE_BYTES));
  readonly #nonceView = new DataView(this.#nonce.buffer);

  seal(
    key: Uint8Array,
    counter: number,
    plaintext: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    writeCounterNonce(this.#nonceView, counter);
    return this.sealWithNonce(key, this.#nonce, plaintext, ad, out);
  }

  open(
    key: Uint8Array,
    counter: number,
    sealed: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    writeCounterNonce(this.#nonceView, counter);
    return this.openWithNonce(key, this.#nonce, sealed, ad, out);
  }

  abstract sealWithNonce(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number;

  abstract openWithNonce(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number;
}
