import { EMPTY_BYTES } from "../bytes.ts";
import { AEAD_NONCE_BYTES, type AeadBackendName, type AeadPrimitive } from "./aead.ts";
import { checkOpenAtArguments, checkSealInPlaceArguments, writeCounterNonce } from "./arguments.ts";

/**
 * Builds a backend's counter methods on its explicit-nonce primitive: WireGuard's nonce is
 * written into one scratch buffer per backend object, so a packet allocates nothing. The
 * offset methods make views here; the native backends override them to pass addresses.
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
    return this.sealWithNonce(key, this.counterNonce(counter), plaintext, ad, out);
  }

  open(
    key: Uint8Array,
    counter: number,
    sealed: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    return this.openWithNonce(key, this.counterNonce(counter), sealed, ad, out);
  }

  sealInPlace(
    key: Uint8Array,
    counter: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
  ): number {
    const nonce = this.counterNonce(counter);
    checkSealInPlaceArguments(key, nonce, buffer, offset, length);
    const plaintext = buffer.subarray(offset, offset + length);
    return this.sealWithNonce(key, nonce, plaintext, EMPTY_BYTES, buffer.subarray(offset));
  }

  openAt(
    key: Uint8Array,
    counter: number,
    buffer: Uint8Array,
    offset: number,
    sealedLength: number,
    out: Uint8Array,
  ): number {
    const nonce = this.counterNonce(counter);
    checkOpenAtArguments(key, nonce, buffer, offset, sealedLength, out);
    const sealed = buffer.subarray(offset, offset + sealedLength);
    return this.openWithNonce(key, nonce, sealed, EMPTY_BYTES, out);
  }

  /** WireGuard's nonce for `counter`, in the scratch buffer (valid until the next call). */
  protected counterNonce(counter: number): Uint8Array {
    writeCounterNonce(this.#nonceView, counter);
    return this.#nonce;
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
