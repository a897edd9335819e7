import { dlopen, FFIType, type Pointer, ptr } from "bun:ffi";
import { EMPTY_BYTES } from "../bytes.ts";
import { AEAD_TAG_BYTES } from "./aead.ts";
import {
  checkOpenArguments,
  checkOpenAtArguments,
  checkSealArguments,
  checkSealInPlaceArguments,
} from "./arguments.ts";
import { CounterNonceAead } from "./counter-nonce.ts";
import { NativeAeadCallError } from "./errors.ts";

/**
 * ChaCha20-Poly1305 from libsodium (`crypto_aead_chacha20poly1305_ietf_*_detached`): one call
 * per packet, the tag written straight after the ciphertext. libsodium verifies before it
 * decrypts and zeroes the output on failure; in-place operation is supported.
 */
export class LibsodiumAead extends CounterNonceAead {
  readonly name = "libsodium";
  readonly #lib: LibsodiumSymbols;
  // Stands in for the address of an empty input, which ptr() refuses; never read.
  readonly #empty = new Uint8Array(new ArrayBuffer(8));
  readonly #emptyPtr = ptr(this.#empty);

  /** Opens libsodium (throws when it is missing) and runs sodium_init once per thread. */
  constructor(file: string) {
    super();
    this.#lib = symbolsFor(file);
  }

  sealWithNonce(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    checkSealArguments(key, nonce, plaintext.length, out);
    const length = plaintext.length;
    return this.#seal(
      key,
      nonce,
      length === 0 ? this.#emptyPtr : ptr(plaintext),
      length,
      ad,
      ptr(out),
    );
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
    return this.#open(key, nonce, ptr(sealed), sealed.length - AEAD_TAG_BYTES, ad, out);
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
    return this.#seal(key, nonce, at, length, EMPTY_BYTES, at);
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
    return this.#open(
      key,
      nonce,
      ptr(buffer, offset),
      sealedLength - AEAD_TAG_BYTES,
      EMPTY_BYTES,
      out,
    );
  }

  /** Seals `length` bytes at `input` to `output` (the same address or apart), the tag after. */
  #seal(
    key: Uint8Array,
    nonce: Uint8Array,
    input: Pointer,
    length: number,
    ad: Uint8Array,
    output: Pointer,
  ): number {
    const result = this.#lib.crypto_aead_chacha20poly1305_ietf_encrypt_detached(
      output,
      (output + length) as Pointer,
      null,
      input,
      length,
      ad.length === 0 ? this.#emptyPtr : ptr(ad),
      ad.length,
      null,
      ptr(nonce),
      ptr(key),
    );
    if (result !== 0) throw new NativeAeadCallError("libsodium", "encrypt_detached");
    return length + AEAD_TAG_BYTES;
  }

  /** Opens `length` bytes of ciphertext and the tag after them at `sealed` into `out`. */
  #open(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Pointer,
    length: number,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    const result = this.#lib.crypto_aead_chacha20poly1305_ietf_decrypt_detached(
      length === 0 ? this.#emptyPtr : ptr(out),
      null,
      sealed,
      length,
      (sealed + length) as Pointer,
      ad.length === 0 ? this.#emptyPtr : ptr(ad),
      ad.length,
      ptr(nonce),
      ptr(key),
    );
    return result === 0 ? length : -1;
  }
}

const { i32, ptr: pointer, u64 } = FFIType;
const SYMBOLS = {
  sodium_init: { args: [], returns: i32 },
  crypto_aead_chacha20poly1305_ietf_encrypt_detached: {
    args: [pointer, pointer, pointer, pointer, u64, pointer, u64, pointer, pointer, pointer],
    returns: i32,
  },
  crypto_aead_chacha20poly1305_ietf_decrypt_detached: {
    args: [pointer, pointer, pointer, u64, pointer, pointer, u64, pointer, pointer],
    returns: i32,
  },
} as const;

type LibsodiumSymbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

const libraries = new Map<string, LibsodiumSymbols>();

function symbolsFor(file: string): LibsodiumSymbols {
  let symbols = libraries.get(file);
  if (symbols === undefined) {
    symbols = dlopen(file, SYMBOLS).symbols;
    // sodium_init picks the fastest implementations for this CPU; -1 means it cannot run.
    if (symbols.sodium_init() < 0) throw new NativeAeadCallError("libsodium", "sodium_init");
    libraries.set(file, symbols);
  }
  return symbols;
}
