import { dlopen, FFIType, type Pointer, ptr } from "bun:ffi";
import { AEAD_TAG_BYTES } from "./aead.ts";
import { checkOpenArguments, checkSealArguments } from "./arguments.ts";
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
    const outPtr = ptr(out);
    const result = this.#lib.crypto_aead_chacha20poly1305_ietf_encrypt_detached(
      outPtr,
      (outPtr + length) as Pointer,
      null,
      length === 0 ? this.#emptyPtr : ptr(plaintext),
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

  openWithNonce(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    checkOpenArguments(key, nonce, sealed.length, out);
    if (sealed.length < AEAD_TAG_BYTES) return -1;
    const length = sealed.length - AEAD_TAG_BYTES;
    const sealedPtr = ptr(sealed);
    const result = this.#lib.crypto_aead_chacha20poly1305_ietf_decrypt_detached(
      length === 0 ? this.#emptyPtr : ptr(out),
      null,
      sealedPtr,
      length,
      (sealedPtr + length) as Pointer,
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
