import { dlopen, FFIType, type Pointer, ptr } from "bun:ffi";
import { AEAD_TAG_BYTES } from "./aead.ts";
import { NativeAeadCallError } from "./errors.ts";
import { PointerAead } from "./native-pointer-aead.ts";

/**
 * ChaCha20-Poly1305 from libsodium (`crypto_aead_chacha20poly1305_ietf_*_detached`): one call
 * per packet, the tag written straight after the ciphertext. libsodium verifies before it
 * decrypts and zeroes the output on failure; in-place operation is supported.
 */
export class LibsodiumAead extends PointerAead {
  readonly name = "libsodium";
  readonly #lib: LibsodiumSymbols;

  /** Opens libsodium (throws when it is missing) and runs sodium_init once per thread. */
  constructor(file: string) {
    super();
    this.#lib = symbolsFor(file);
  }

  protected sealPointers(
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
      ad.length === 0 ? this.emptyPointer : ptr(ad),
      ad.length,
      null,
      ptr(nonce),
      ptr(key),
    );
    if (result !== 0) throw new NativeAeadCallError("libsodium", "encrypt_detached");
    return length + AEAD_TAG_BYTES;
  }

  protected openPointers(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Pointer,
    length: number,
    ad: Uint8Array,
    out: Uint8Array,
  ): number {
    const result = this.#lib.crypto_aead_chacha20poly1305_ietf_decrypt_detached(
      length === 0 ? this.emptyPointer : ptr(out),
      null,
      sealed,
      length,
      (sealed + length) as Pointer,
      ad.length === 0 ? this.emptyPointer : ptr(ad),
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
