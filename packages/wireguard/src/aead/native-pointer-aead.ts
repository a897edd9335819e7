import { type Pointer, ptr } from "bun:ffi";
import { EMPTY_BYTES } from "../bytes.ts";
import { AEAD_TAG_BYTES } from "./aead.ts";
import {
  checkOpenArguments,
  checkOpenAtArguments,
  checkSealArguments,
  checkSealInPlaceArguments,
} from "./arguments.ts";
import { CounterNonceAead } from "./counter-nonce.ts";

/**
 * What the native backends share: every operation, views and offsets alike, checked once and
 * reduced to two calls on addresses, so that sealing in place and opening at an offset make no
 * view. A backend supplies `sealPointers` and `openPointers`.
 */
export abstract class PointerAead extends CounterNonceAead {
  // Stands in for the address of an empty input or output, which ptr() refuses; never touched.
  readonly #empty = new Uint8Array(new ArrayBuffer(8));
  protected readonly emptyPointer = ptr(this.#empty);

  sealWithNonce(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    checkSealArguments(key, nonce, plaintext.length, out);
    const length = plaintext.length;
    const input = length === 0 ? this.emptyPointer : ptr(plaintext);
    return this.sealPointers(key, nonce, input, length, ad, ptr(out));
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
    return this.openPointers(key, nonce, ptr(sealed), sealed.length - AEAD_TAG_BYTES, ad, out);
  }

  override sealInPlace(
    key: Uint8Array,
    counter: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
  ): number {
    const nonce = this.counterNonce(counter);
    checkSealInPlaceArguments(key, nonce, buffer, offset, length);
    const at = ptr(buffer, offset);
    return this.sealPointers(key, nonce, at, length, EMPTY_BYTES, at);
  }

  override openAt(
    key: Uint8Array,
    counter: number,
    buffer: Uint8Array,
    offset: number,
    sealedLength: number,
    out: Uint8Array,
  ): number {
    const nonce = this.counterNonce(counter);
    checkOpenAtArguments(key, nonce, buffer, offset, sealedLength, out);
    if (sealedLength < AEAD_TAG_BYTES) return -1;
    const sealed = ptr(buffer, offset);
    return this.openPointers(key, nonce, sealed, sealedLength - AEAD_TAG_BYTES, EMPTY_BYTES, out);
  }

  /** Seals `length` bytes at `input` to `output` (the same address or apart), the tag after. */
  protected abstract sealPointers(
    key: Uint8Array,
    nonce: Uint8Array,
    input: Pointer,
    length: number,
    ad: Uint8Array,
    output: Pointer,
  ): number;

  /** Opens `length` bytes of ciphertext and the tag after them at `sealed` into `out`; -1 if forged. */
  protected abstract openPointers(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Pointer,
    length: number,
    ad: Uint8Array,
    out: Uint8Array,
  ): number;
}
